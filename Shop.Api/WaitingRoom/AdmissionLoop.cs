using Shop.ServiceDefaults.Redis;
using Microsoft.Extensions.Options;
using Shop.Data.Sales;
using Shop.ServiceDefaults.Logging;
using StackExchange.Redis;

namespace Shop.Api.WaitingRoom;

/// <summary>
/// Moves each live sale's serving pointer: one instance at a time holds a short Redis lease and runs the ticks; if it
/// dies another takes over within the lease. Admission slows down while the admitted shoppers are served slowly or with
/// errors, or checkout is behind, and recovers step by step (<see cref="AdmissionPacing"/>).
/// </summary>
public sealed class AdmissionLoop(
    SaleDirectory sales, WaitingRoomStore store, AdmissionHealth health, PacingStore pacing, WaitingRoomMetrics metrics, FunnelRecorder funnel,
    IOptions<WaitingRoomOptions> options, TimeProvider clock, ILogger<AdmissionLoop> logger) : BackgroundService
{
    // Ticks run ten times a second: a failure that lasts would otherwise be ten warnings a second.
    private readonly RateLimitedWarning tickFailed = new(TimeSpan.FromSeconds(10));
    private readonly RateLimitedWarning paceFailed = new(TimeSpan.FromSeconds(10));
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan HealthInterval = TimeSpan.FromSeconds(2);
    private readonly string me = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private double factor = 1.0;
    private string reason = PacingReasons.None;
    private DateTimeOffset changedAt;
    private bool leading;
    private DateTimeOffset nextHealthCheck;
    private Task checking = Task.CompletedTask;
    // Each admitting sale's slow-start rate (AdmissionRamp), per minute; null once paused, so a resume starts slowly again.
    private readonly Dictionary<string, RampState?> ramps = [];
    // Health checks run beside the ticks; the ticks advance the ramps once per finished check, so only they touch ramps.
    private int checksDone, checksApplied;
    private volatile bool lastCheckHealthy;

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
                    metrics.Paced(null);
                    continue;
                }
                if (!leading)
                {
                    // Carry on from the previous leader's slow-down (and its reason) rather than jumping back to full speed.
                    factor = await store.RateFactorAsync();
                    var previous = await pacing.ReadAsync();
                    (reason, changedAt) = previous is null ? (PacingReasons.None, clock.GetUtcNow()) : (previous.Reason, previous.ChangedAt);
                    ramps.Clear();
                    leading = true;
                }
                var now = clock.GetUtcNow();
                if (now >= nextHealthCheck && checking.IsCompleted)
                {
                    // Alongside the ticks, not in their way: the signals are read exactly when something is slow.
                    checking = CheckHealthAsync(stoppingToken);
                    nextHealthCheck = now + HealthInterval;
                }
                var live = sales.All.Where(s => s.IsLive(now)).ToList();
                await RampAsync(live, settings);
                foreach (var sale in live.Where(s => !s.Paused))
                {
                    await TickAsync(sale, now, settings);
                }
                if (now - lastView >= TimeSpan.FromSeconds(1))
                {
                    var view = new List<(string, WaitingRoomStore.Counts, double, string)>();
                    foreach (var sale in live)
                    {
                        var counts = await store.CountsAsync(sale, now);
                        view.Add((sale.Id, counts, sale.Paused ? 0 : RateOf(sale), reason));
                        funnel.RecordCounts(sale.Id, counts, now);
                    }
                    metrics.LeaderView(view);
                    lastView = now;
                }
            }
            // The loop must outlive any failure: a dead background service would stop the whole API instance.
            catch (Exception e) when ((RedisFailure.Is(e) || e is TaskCanceledException) && !stoppingToken.IsCancellationRequested)
            {
                logger.LogDebug(e, "Admission tick skipped: Redis did not answer");
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (tickFailed.ShouldWarn(out var suppressed))
                {
                    logger.LogWarning(e, "Admission tick failed; the next one tries again ({Suppressed} more since the last warning)", suppressed);
                }
            }
        }
    }

    private async Task TickAsync(Sale sale, DateTimeOffset now, WaitingRoomOptions settings)
    {
        if (sale.QueueMode == SaleQueueModes.PreQueueLottery)
        {
            await store.DrawAsync(sale, now);
        }
        var tick = await store.AdmitAsync(sale, now, RateOf(sale),
            catchUp: TimeSpan.FromTicks(Math.Max(settings.AdmissionTick.Ticks * 3, TimeSpan.FromMilliseconds(250).Ticks)),
            staleBefore: now.AddSeconds(-sale.AbandonAfterSeconds), maxPerTick: 1000,
            maxSkipsPerTick: Abandonment.SkipsPerTick(sale, settings.AdmissionTick));
        metrics.Ticked(sale.Id, tick);
        funnel.RecordAdmissions(sale.Id, tick);
    }

    /// <summary>The sale's admissions per minute now: its rate, times the shop-wide pacing factor, capped by its ramp.</summary>
    private double RateOf(Sale sale) =>
        sale.AdmissionsPerMinute * AdmissionRamp.Factor(sale.AdmissionsPerMinute, factor, ramps.GetValueOrDefault(sale.Id)?.Rate);

    /// <summary>Starts the ramp of a sale that begins admitting, forgets that of a paused one, and advances all once per health check.</summary>
    private async Task RampAsync(IReadOnlyList<Sale> live, WaitingRoomOptions settings)
    {
        var check = Volatile.Read(ref checksDone);
        var advance = check != checksApplied;
        checksApplied = check;
        foreach (var sale in live)
        {
            var known = ramps.TryGetValue(sale.Id, out var ramp);
            if (sale.Paused)
            {
                if (!known || ramp is not null)
                {
                    ramps[sale.Id] = null;
                    await store.SetRampAsync(sale, null);
                }
                continue;
            }
            var next = (known, ramp) switch
            {
                (true, { } r) when advance => AdmissionRamp.Next(r, sale.AdmissionsPerMinute, lastCheckHealthy, settings),
                (true, { } r) => r,
                // A sale this leader has not seen admitting: an earlier leader's ramp carries on; without one it starts.
                (false, _) => new RampState(await store.RampAsync(sale) ?? AdmissionRamp.Start(sale.AdmissionsPerMinute, settings)),
                _ => new RampState(AdmissionRamp.Start(sale.AdmissionsPerMinute, settings)),
            };
            if (next != ramp)
            {
                ramps[sale.Id] = next;
                if (next.Rate != ramp?.Rate)
                {
                    await store.SetRampAsync(sale, next.Rate);
                }
            }
        }
        foreach (var gone in ramps.Keys.Where(id => live.All(s => s.Id != id)).ToList())
        {
            ramps.Remove(gone);
        }
    }

    private async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PaceAsync(cancellationToken);
        }
        catch (Exception e) when (RedisFailure.Is(e) && !cancellationToken.IsCancellationRequested)
        {
            logger.LogDebug(e, "Pacing check skipped: Redis did not answer");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            if (paceFailed.ShouldWarn(out var suppressed))
            {
                logger.LogWarning(e, "Pacing check failed; the next one tries again ({Suppressed} more since the last warning)", suppressed);
            }
        }
    }

    private async Task PaceAsync(CancellationToken cancellationToken)
    {
        var signals = await health.ReadSignalsAsync(cancellationToken);
        var (next, why) = AdmissionPacing.Next(factor, signals, options.Value);
        var now = clock.GetUtcNow();
        if (next != factor || why != reason)
        {
            var slowest = signals.Services.MaxBy(s => s.P95Ms);
            var failing = signals.Services.MaxBy(s => s.ErrorRate);
            logger.LogInformation(
                "Admission rate factor {From:0.00} → {To:0.00}, reason {Reason} (was {Previous}): p95 {P95:0} ms ({Slowest}), 5xx {ErrorRate:0.0%} ({Failing}), order backlog {Backlog}, worker lag {Lag:0.0} s",
                factor, next, why, reason, slowest?.P95Ms ?? 0, slowest?.Service ?? "no traffic", failing?.ErrorRate ?? 0, failing?.Service ?? "no traffic",
                signals.Backlog, signals.LagSeconds);
            changedAt = now;
        }
        (factor, reason) = (next, why);
        lastCheckHealthy = why == PacingReasons.None;
        Interlocked.Increment(ref checksDone);
        await store.SetHealthAsync(factor, signals.Backlog, signals.LagSeconds);
        var state = new PacingState(factor, reason, changedAt, now, signals);
        await pacing.SaveAsync(state);
        if (leading)
        {
            metrics.Paced(state);
        }
    }
}
