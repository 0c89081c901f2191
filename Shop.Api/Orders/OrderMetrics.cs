using System.Diagnostics.Metrics;

namespace Shop.Api.Orders;

/// <summary>
/// Meter <c>Shop.Orders</c>: every order request by outcome (the rate of <c>accepted</c> is orders/s), and how far
/// the workers are behind — the broker's ready messages and the age of the oldest order not applied yet — as
/// gauges refreshed by <see cref="OrderBacklogMonitor"/> rather than read on every export.
/// </summary>
public sealed class OrderMetrics
{
    public const string MeterName = "Shop.Orders";

    private readonly Counter<long> intake;
    private readonly Counter<long> republished;
    private volatile OrderBacklog.Reading? backlog;

    public OrderMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        intake = meter.CreateCounter<long>("shop.orders.intake", unit: "{order}", description: "Order requests answered, by outcome");
        republished = meter.CreateCounter<long>("shop.orders.republished", unit: "{order}",
            description: "Orders the stale-order sweep published again because their message was no longer queued");
        meter.CreateObservableGauge("shop.orders.queue_depth", () => backlog is { } b ? [new Measurement<long>(b.Backlog)] : Array.Empty<Measurement<long>>(),
            unit: "{message}", description: "Orders ready in the broker's queue, not yet delivered to a worker");
        meter.CreateObservableGauge("shop.orders.consumer_lag", () => backlog is { } b ? [new Measurement<double>(b.LagSeconds)] : Array.Empty<Measurement<double>>(),
            unit: "s", description: "Age of the oldest accepted order no worker has applied yet");
    }

    public void Answered(string outcome) => intake.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Backlog(OrderBacklog.Reading reading) => backlog = reading;

    public void Republished(int count)
    {
        if (count > 0)
        {
            republished.Add(count);
        }
    }
}
