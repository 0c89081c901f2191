using Microsoft.Extensions.Options;
using Shop.Data.Sales;
using StackExchange.Redis;

namespace Shop.Api.WaitingRoom;

/// <summary>
/// Moves each live sale's serving pointer: one instance at a time holds a short Redis lease and runs the ticks; if it
/// dies another takes over within the lease. Admission slows down while checkout is behind and recovers step by step.
/// </summary>
public sealed class AdmissionLoop(
    SaleDirectory sales, WaitingRoomStore store, AdmissionHealth health, WaitingRoomMetrics metrics, FunnelRecorder funnel,
    IOptions<WaitingRoomOptions> options, TimeProvider clock, ILogger<AdmissionLoop> logger) : BackgroundService
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan HealthInterval = TimeSpan.FromSeconds(2);
    private const double RecoveryStep = 0.1;
    private readonly string me = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private double factor = 1.0;
    private bool leading;
    private DateTimeOffset nextHealthCheck;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.AdmissionTick, clock);
        var lastView = DateTimeOffset.MinValue;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (!store.IsConnected || !await store.TryLeadAsync(me, Lease))
                {
                    leading = false;
                    metrics.LeaderView([]);
                    continue;
                }
                if (!leading)
                {
                    // Carry on from the previous leader's slow-down rather than jumping back to full speed.
                    factor = await store.RateFactorAsync();
                    leading = true;
                }
                var now = clock.GetUtcNow();
                if (now >= nextHealthCheck)
                {
                    await CheckHealthAsync(stoppingToken);
                    nextHealthCheck = now + HealthInterval;
                }
                var live = sales.All.Where(s => s.IsLive(now)).ToList();
                foreach (var sale in live.Where(s => !s.Paused))
                {
                    await TickAsync(sale, now, settings);
                }
                if (now - lastView >= TimeSpan.FromSeconds(1))
                {
                    var view = new List<(string, WaitingRoomStore.Counts, double)>();
                    foreach (var sale in live)
                    {
                        var counts = await store.CountsAsync(sale, now);
                        view.Add((sale.Id, counts, sale.Paused ? 0 : sale.AdmissionsPerMinute * factor));
                        funnel.RecordCounts(sale.Id, counts, now);
                    }
                    metrics.LeaderView(view);
                    lastView = now;
                }
            }
            // The loop must outlive any failure: a dead background service would stop the whole API instance.
            catch (Exception e) when (e is RedisException or TimeoutException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                logger.LogDebug(e, "Admission tick skipped: Redis did not answer");
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Admission tick failed; the next one tries again");
            }
        }
    }

    private async Task TickAsync(Sale sale, DateTimeOffset now, WaitingRoomOptions settings)
    {
        if (sale.QueueMode == SaleQueueModes.PreQueueLottery)
        {
            await store.DrawAsync(sale, now);
        }
        var tick = await store.AdmitAsync(sale, now, sale.AdmissionsPerMinute * factor,
            catchUp: TimeSpan.FromTicks(Math.Max(settings.AdmissionTick.Ticks * 3, TimeSpan.FromMilliseconds(250).Ticks)),
            staleBefore: now.AddSeconds(-sale.AbandonAfterSeconds), maxPerTick: 1000,
            maxSkipsPerTick: Abandonment.SkipsPerTick(sale, settings.AdmissionTick));
        metrics.Ticked(sale.Id, tick);
        funnel.RecordAdmissions(sale.Id, tick);
    }

    private async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var reading = await health.ReadAsync(cancellationToken);
        var behind = reading.Backlog > settings.BacklogThreshold || reading.LagSeconds > settings.LagThreshold.TotalSeconds;
        var next = behind ? Math.Max(settings.MinimumRateFactor, factor / 2) : Math.Min(1.0, factor + RecoveryStep);
        if (next != factor)
        {
            logger.LogInformation("Admission rate factor {From:0.00} → {To:0.00} (order backlog {Backlog}, worker lag {Lag:0.0} s)",
                factor, next, reading.Backlog, reading.LagSeconds);
        }
        factor = next;
        await store.SetHealthAsync(factor, reading.Backlog, reading.LagSeconds);
    }
}
