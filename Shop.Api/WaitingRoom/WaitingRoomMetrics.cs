using System.Diagnostics.Metrics;

namespace Shop.Api.WaitingRoom;

/// <summary>
/// Meter <c>Shop.WaitingRoom</c>. Joins and token rejections are counted where they happen; admissions, waiting,
/// active, the effective rate (tagged with the reason it is paced down, see <see cref="PacingReasons"/>) and the
/// signals pacing reads by the instance that leads the admission loop (the others report no gauge values).
/// </summary>
public sealed class WaitingRoomMetrics
{
    public const string MeterName = "Shop.WaitingRoom";

    private readonly Counter<long> joined;
    private readonly Counter<long> admitted;
    private readonly Counter<long> abandoned;
    private readonly Counter<long> rejections;
    private readonly Histogram<double> timeInQueue;
    private volatile IReadOnlyList<(string SaleId, WaitingRoomStore.Counts Counts, double EffectiveRate, string Reason)> leaderView = [];
    private volatile PacingState? pacing;

    public WaitingRoomMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        joined = meter.CreateCounter<long>("shop.waitingroom.joined", description: "Shoppers who joined a sale's waiting room");
        admitted = meter.CreateCounter<long>("shop.waitingroom.admitted", description: "Shoppers admitted from the waiting room");
        abandoned = meter.CreateCounter<long>("shop.waitingroom.abandoned", description: "Waiters skipped because they stopped asking or left");
        rejections = meter.CreateCounter<long>("shop.waitingroom.token_rejections", description: "Orders refused for a missing or bad admission");
        timeInQueue = meter.CreateHistogram<double>("shop.waitingroom.time_in_queue", unit: "s", description: "Time from join to admission",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600] });
        meter.CreateObservableGauge("shop.waitingroom.waiting", () => Gauge(v => v.Counts.Waiting), description: "Shoppers waiting in line");
        meter.CreateObservableGauge("shop.waitingroom.active", () => Gauge(v => v.Counts.Active), description: "Admitted shoppers whose session is running");
        meter.CreateObservableGauge("shop.waitingroom.admission_rate", () => leaderView.Select(v =>
            new Measurement<double>(v.EffectiveRate, new KeyValuePair<string, object?>("sale", v.SaleId), new KeyValuePair<string, object?>("reason", v.Reason))),
            unit: "{shopper}/min", description: "Effective admissions per minute after health-driven slow-down, tagged with why it is slowed (none: it is not)");
        meter.CreateObservableGauge("shop.waitingroom.rate_factor", Factor,
            description: "Share of each sale's admission rate admitted now, tagged with why it is below 1 (none: recovering or full speed)");
        meter.CreateObservableGauge("shop.waitingroom.pacing.latency_p95", () => Signals(s => s.P95Ms), unit: "ms",
            description: "p95 of the admitted shoppers' requests over the last 10 s, per service, as admission pacing sees it");
        meter.CreateObservableGauge("shop.waitingroom.pacing.error_rate", () => Signals(s => s.ErrorRate),
            description: "Share of the admitted shoppers' requests answered 5xx over the last 10 s, per service, as admission pacing sees it");
    }

    public void Joined(string saleId) => joined.Add(1, new KeyValuePair<string, object?>("sale", saleId));

    public void TokenRejected(string reason) => rejections.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Ticked(string saleId, WaitingRoomStore.Tick tick)
    {
        var sale = new KeyValuePair<string, object?>("sale", saleId);
        admitted.Add(tick.Admitted, sale);
        abandoned.Add(tick.Skipped, sale);
        foreach (var waited in tick.WaitedMs)
        {
            timeInQueue.Record(waited / 1000.0, sale);
        }
    }

    public void LeaderView(IReadOnlyList<(string SaleId, WaitingRoomStore.Counts Counts, double EffectiveRate, string Reason)> view) => leaderView = view;

    /// <summary>The leader's last pacing decision; null on the instances that do not lead.</summary>
    public void Paced(PacingState? state) => pacing = state;

    private IEnumerable<Measurement<long>> Gauge(Func<(string SaleId, WaitingRoomStore.Counts Counts, double EffectiveRate, string Reason), long> value) =>
        leaderView.Select(v => new Measurement<long>(value(v), new KeyValuePair<string, object?>("sale", v.SaleId)));

    private IEnumerable<Measurement<double>> Factor()
    {
        if (pacing is { } p)
        {
            yield return new Measurement<double>(p.Factor, new KeyValuePair<string, object?>("reason", p.Reason));
        }
    }

    private IEnumerable<Measurement<double>> Signals(Func<ServiceSignal, double> value) =>
        pacing?.Signals.Services.Select(s => new Measurement<double>(value(s), new KeyValuePair<string, object?>("service", s.Service))) ?? [];
}
