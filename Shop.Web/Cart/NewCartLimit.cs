using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Shop.ServiceDefaults.Security;

namespace Shop.Web.Cart;

public sealed class NewCartLimitOptions
{
    public const string SectionName = "Cart";

    /// <summary>
    /// New carts one client (an IPv4 address, an IPv6 /64) may start per minute, across all storefront instances. As
    /// generous as the order limit: an address shared by a crowd (an office, a carrier's NAT) starts one cart per shopper.
    /// </summary>
    [Range(1, 1_000_000)]
    public int PerMinute { get; set; } = 120;
}

/// <summary>
/// Every cart is a Redis key that an anonymous request makes: each new one is counted against the client's address, so
/// one client can hold at most <see cref="NewCartLimitOptions.PerMinute"/> × <see cref="CartStore.NewCartLifetime"/>
/// carts nobody comes back for. Changes to a cart that exists are not counted.
/// </summary>
public sealed class NewCartLimit(SharedRateLimiter limiter, IOptions<NewCartLimitOptions> options)
    : PerClientLimit(limiter, "new-carts", () => options.Value.PerMinute);
