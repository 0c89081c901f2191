using System.ComponentModel.DataAnnotations;

namespace Shop.OrderWorker.Orders;

public sealed class OrderWorkerOptions
{
    public const string SectionName = "Orders:Worker";

    /// <summary>Unacknowledged messages the broker may hand this worker: enough to fill a batch while the last one commits.</summary>
    [Range(1, 5000)]
    public ushort Prefetch { get; set; } = 200;

    /// <summary>Orders applied per transaction (one commit, one fsync, for all of them).</summary>
    [Range(1, 1000)]
    public int MaxBatch { get; set; } = 50;

    /// <summary>Failures (with the database up) after which a message is moved to the dead-letter queue.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;
}
