using System.ComponentModel.DataAnnotations;
using System.Net;
using Shop.ServiceDefaults.Security;

namespace Shop.Api.Orders;

public sealed class OrderOptions : IValidatableObject
{
    public const string SectionName = "Orders";

    /// <summary>How long intake waits for the broker's confirm before answering 503.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>What a 503 tells the client to wait before trying again (with the same Idempotency-Key).</summary>
    [Range(1, 300)]
    public int RetryAfterSeconds { get; set; } = 5;

    /// <summary>Order requests one client address may send per minute, counted across all instances.</summary>
    [Range(1, 1_000_000)]
    public int RateLimitPerMinute { get; set; } = 60;

    /// <summary>
    /// Client addresses the limit does not count: the storefront's, whose checkout calls carry every shopper's order
    /// (the storefront applies the same limit to each shopper's address itself). Each entry an address or a CIDR
    /// network: on a cluster the storefront's pods have no fixed address, only their pod network.
    /// </summary>
    public string[] RateLimitExempt { get; set; } = [];

    private IReadOnlyList<IPNetwork>? exemptNetworks;

    public bool IsExempt(IPAddress? client) =>
        AddressRanges.Contains(exemptNetworks ??= [.. RateLimitExempt.Select(AddressRanges.Parse)], client);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        AddressRanges.Validate(RateLimitExempt, $"{SectionName}:{nameof(RateLimitExempt)}", nameof(RateLimitExempt));
}
