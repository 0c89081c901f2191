using System.Diagnostics.Metrics;

namespace Shop.Api.WaitingRoom;

/// <summary>
/// Meter <c>Shop.WaitingRoom</c>. Joins and token rejections are counted where they happen; admissions, waiting,
/// active and the effective rate by the instance that leads the admission loop (the others report no gauge values).
/// </summary>
public sealed class WaitingRoomMetrics
{
    public const string MeterName = "Shop.WaitingRoom";

    private readonly Counter<long> joined;
    private readonly Counter<long> admitted;
    private readonly Counter<long> abandoned;
    private readonly Counter<long> rejections;
    private readonly Histogram<double> timeInQueue;
    private volatile IReadOnlyList<(string SaleId, WaitingRoomStore.Counts Counts, double EffectiveRate)> leaderView = [];

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
            new Measurement<double>(v.EffectiveRate, new KeyValuePair<string, object?>("sale", v.SaleId))), unit: "{shopper}/min",
            description: "Effective admissions per minute after health-driven slow-down");
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

    public void LeaderView(IReadOnlyList<(string SaleId, WaitingRoomStore.Counts Counts, double EffectiveRate)> view) => leaderView = view;

    private IEnumerable<Measurement<long>> Gauge(Func<(string SaleId, WaitingRoomStore.Counts Counts, double EffectiveRate), long> value) =>
        leaderView.Select(v => new Measurement<long>(value(v), new KeyValuePair<string, object?>("sale", v.SaleId)));
}
