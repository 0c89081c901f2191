using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Shop.ServiceDefaults.Security;

namespace Shop.Web.Orders;

public sealed class CheckoutLimitOptions
{
    public const string SectionName = "Orders";

    /// <summary>Checkouts one shopper address may post per minute; the same Redis count as the API's order limit.</summary>
    [Range(1, 1_000_000)]
    public int RateLimitPerMinute { get; set; } = 60;
}

/// <summary>
/// The API does not count the storefront's own address (every shopper's order comes from it), so the storefront
/// counts each shopper's address itself, in the API's counter: one budget per address, whichever way it orders.
/// </summary>
public sealed class CheckoutLimit(SharedRateLimiter limiter, IOptions<CheckoutLimitOptions> options)
    : PerClientLimit(limiter, "orders", () => options.Value.RateLimitPerMinute);
