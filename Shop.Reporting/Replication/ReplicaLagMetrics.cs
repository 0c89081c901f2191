using System.Diagnostics.Metrics;

namespace Shop.Reporting.Replication;

/// <summary>
/// <c>shop.replica.lag</c> (meter <c>Shop.Reporting</c>): how far the read replica is behind the primary, read every
/// few seconds rather than on every export. No value while the replica does not answer or is not a standby.
/// </summary>
public sealed class ReplicaLagMetrics : BackgroundService
{
    public const string MeterName = "Shop.Reporting";

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly ReplicaStatusReader reader;
    private volatile ReplicaStatus? status;

    public ReplicaLagMetrics(ReplicaStatusReader reader, IMeterFactory meters)
    {
        this.reader = reader;
        meters.Create(MeterName).CreateObservableGauge("shop.replica.lag",
            () => status is { IsStandby: true, Lag: { } lag } ? [new Measurement<double>(lag.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            unit: "s", description: "Replication lag of the read replica the staff reports read");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                status = await reader.TryReadAsync(stoppingToken);
            }
            catch (Exception) when (!stoppingToken.IsCancellationRequested)
            {
                // A metric must never take the reports down with it; no value is the honest reading.
                status = null;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
