using System.ComponentModel.DataAnnotations;

namespace Shop.Api.Orders;

public sealed class OrderOptions
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
    /// (the storefront applies the same limit to each shopper's address itself).
    /// </summary>
    public string[] RateLimitExempt { get; set; } = [];
}
