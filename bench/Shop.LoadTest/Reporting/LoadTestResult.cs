namespace Shop.LoadTest.Reporting;

/// <summary>
/// Everything a run found, as written to report.json (and drawn in report.html). <paramref name="Cpu"/>: each process
/// group's share of the machine during the run (all cores = 100 %), added by the bench runner that booted the shop.
/// </summary>
public sealed record LoadTestResult(
    LoadTestOptionsEcho Settings,
    DateTimeOffset StartedAt,
    double Seconds,
    LoadTestSummary Summary,
    IReadOnlyDictionary<string, long> ErrorsByStatus,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> ErrorsByKind,
    IReadOnlyDictionary<string, long> OrderRefusals,
    IReadOnlyDictionary<string, long> RequestsByInstance,
    IReadOnlyDictionary<string, ProductOutcome> Products,
    CapacityFigures Capacity,
    IReadOnlyList<TimelineSecond> Timeline,
    LoadGenerator? Generator = null,
    IReadOnlyDictionary<string, double>? Cpu = null)
{
    /// <summary>The run's verdict: nothing the shop accepted went missing, and no unit was sold twice.</summary>
    public bool Passed => Summary.Lost == 0 && Summary.OversoldUnits == 0;

    public static LoadTestResult From(
        LoadTestOptions options, DateTimeOffset startedAt, RecordedRun run, IReadOnlyList<PlacedOrder> orders, IReadOnlyDictionary<int, int> stockPlan,
        IReadOnlyDictionary<int, int?> stockLeft, LoadTestCounters counters, double? drainedAt, LoadGenerator? generator = null)
    {
        var samples = run.Samples;
        double Rate(RequestKind kind)
        {
            var ofKind = samples.Where(s => s.Kind == kind && s.Status is >= 200 and < 300).ToList();
            var span = ofKind.Count < 2 ? 0 : ofKind.Max(s => s.StartedAt) - ofKind.Min(s => s.StartedAt);
            return span <= 0 ? ofKind.Count : Math.Round(ofKind.Count / span, 1);
        }
        Percentiles Latency(params RequestKind[] kinds) =>
            Percentiles.Of(samples.Where(s => kinds.Contains(s.Kind) && s.Status != 0).Select(s => (double)s.LatencyMs));

        var confirmed = orders.Where(o => o.Status == "Confirmed").ToList();
        var products = stockPlan.ToDictionary(p => p.Key.ToString(), p =>
        {
            var sold = confirmed.Sum(o => o.ProductIds.Count(id => id == p.Key));
            return new ProductOutcome(p.Value, sold, stockLeft.GetValueOrDefault(p.Key));
        });
        var seconds = samples.Count == 0 ? 0 : Math.Max(samples.Max(s => s.StartedAt + s.LatencyMs / 1000), drainedAt ?? 0);
        var saleSeconds = RequestCounts.SaleSeconds(samples, run.SaleEndedAt);

        var summary = new LoadTestSummary(
            ShoppersArrived: counters.Arrived,
            ShoppersAdmitted: counters.Admitted,
            ShoppersGaveUp: counters.GaveUp,
            TotalRequests: samples.Count,
            SaleSeconds: Math.Round(saleSeconds, 1),
            RequestsPerSecond: RequestCounts.RequestsPerSecond(samples, saleSeconds),
            GoodputPerSecond: RequestCounts.GoodputPerSecond(samples, saleSeconds),
            Errors4xx: RequestCounts.Errors4xx(samples),
            Errors5xx: RequestCounts.Errors5xx(samples),
            Unanswered: RequestCounts.Unanswered(samples),
            JoinsPerSecond: Rate(RequestKind.Join),
            PollsPerSecond: Rate(RequestKind.QueuePoll),
            StatusCallsPerSecond: Rate(RequestKind.Status),
            WaitersHeld: counters.WaitingPeak,
            StatusLatencyMs: RequestCounts.StatusLatency(samples),
            StatusCallLatencyMs: Latency(RequestKind.Status),
            QueuePollsFromEdgeCachePercent: RequestCounts.QueuePollsFromEdgeCachePercent(samples),
            ApiRequestsPerWaiterPerMinute: RequestCounts.ApiRequestsPerWaiterPerMinute(samples, run.WaiterSeconds),
            ClientQueueMs: Percentiles.Of(run.ClientQueueMs.Select(ms => (double)ms)),
            TimeInQueueSeconds: Percentiles.Of(run.TimesInQueue),
            CatalogLatencyMs: Latency(RequestKind.Catalog),
            StorefrontLatencyMs: Latency(RequestKind.ProductPage, RequestKind.CartAdd),
            OrderAcceptLatencyMs: Latency(RequestKind.Order),
            OrdersAccepted: orders.Count,
            OrdersConfirmed: confirmed.Count,
            OrdersRejected: orders.Count(o => o.Status == "Rejected"),
            Lost: orders.Count(o => !o.IsFinal),
            UnitsSold: products.Values.Sum(p => p.UnitsSold),
            OversoldUnits: products.Values.Sum(p => p.Oversold),
            QueueDrainedAtSeconds: drainedAt is { } at ? Math.Round(at, 1) : null);

        return new LoadTestResult(
            LoadTestOptionsEcho.Of(options),
            startedAt,
            Math.Round(seconds, 1),
            summary,
            ByStatus(samples.Where(s => s.Status is 0 or >= 400)),
            samples.Where(s => s.Status is 0 or >= 400).GroupBy(s => s.Kind)
                .OrderBy(g => g.Key).ToDictionary(g => g.Key.ToString(), g => ByStatus(g)),
            run.OrderRefusals.OrderBy(r => r.Key).ToDictionary(r => r.Key, r => r.Value),
            samples.Where(s => s.Instance >= 0 && !s.FromEdgeCache).GroupBy(s => run.Instances[s.Instance])
                .OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.LongCount()),
            products,
            CapacityFigures.From(options, run, summary),
            Reporting.Timeline.Of(options, run),
            generator);
    }

    private static IReadOnlyDictionary<string, long> ByStatus(IEnumerable<Sample> failures) =>
        failures.GroupBy(s => s.Status == 0 ? "no answer" : s.Status.ToString())
            .OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.LongCount());
}

public sealed record LoadTestOptionsEcho(
    int Shoppers, double ArrivalSeconds, double PollSeconds, int Stock, int AdmissionsPerMinute, int MaxActiveShoppers,
    int DurationSeconds, string Target, string Products, int ShoppersPerAddress, int OrderWorkers, string SaleId, bool WaitingOnly = false)
{
    public static LoadTestOptionsEcho Of(LoadTestOptions o) => new(
        o.Shoppers, o.ArrivalSeconds, o.PollSeconds, o.Stock, o.AdmissionsPerMinute, o.MaxActiveShoppers, o.DurationSeconds,
        o.Target.ToString(), $"{o.FirstProductId}-{o.LastProductId}", o.ShoppersPerAddress, o.OrderWorkers, o.SaleId, o.WaitingOnly);
}

/// <summary>
/// The load generator itself: its share of the whole machine during the sale (all cores = 100 %, as the bench counts),
/// the client addresses it spread the shoppers over and the largest group behind one, and the connections the
/// waiting crowd's queue polls shared. The bench runner adds every process group's share (<c>cpu</c> in report.json).
/// </summary>
public sealed record LoadGenerator(double CpuPercent, int Addresses, int LargestAddressGroup, int CrowdConnections);

public sealed record LoadTestSummary(
    int ShoppersArrived,
    int ShoppersAdmitted,
    int ShoppersGaveUp,
    long TotalRequests,
    /// <summary>From the first arrival until the last shopper was done; the order drain comes after.</summary>
    double SaleSeconds,
    /// <summary>Requests sent during the sale per second of it (the drain's order polls left out).</summary>
    double RequestsPerSecond,
    /// <summary>Of those, answered 2xx/3xx per second.</summary>
    double GoodputPerSecond,
    /// <summary>Refusals (sold out, 429 with Retry-After, …): answers, not failures.</summary>
    long Errors4xx,
    long Errors5xx,
    /// <summary>Requests that got no answer (connection refused or reset, timeout).</summary>
    long Unanswered,
    double JoinsPerSecond,
    /// <summary>Waiting shoppers' polls of the sale's queue resource per second.</summary>
    double PollsPerSecond,
    /// <summary>Waiting shoppers' status calls to the services (heartbeats, the call at the turn) per second.</summary>
    double StatusCallsPerSecond,
    /// <summary>The most shoppers waiting at once.</summary>
    int WaitersHeld,
    /// <summary>The waiting shopper's poll of the queue resource (the status poll against a shop without one).</summary>
    Percentiles StatusLatencyMs,
    Percentiles StatusCallLatencyMs,
    double QueuePollsFromEdgeCachePercent,
    /// <summary>Requests that reached the services while shoppers waited after their join, per waiter-minute.</summary>
    double ApiRequestsPerWaiterPerMinute,
    /// <summary>Requests that queued inside the generator for a connection (Count) and how long: not in the latencies' cause, but in them.</summary>
    Percentiles ClientQueueMs,
    Percentiles TimeInQueueSeconds,
    Percentiles CatalogLatencyMs,
    Percentiles StorefrontLatencyMs,
    Percentiles OrderAcceptLatencyMs,
    int OrdersAccepted,
    int OrdersConfirmed,
    int OrdersRejected,
    /// <summary>Accepted − (confirmed + rejected) once the queue drained: orders the shop said yes to and never settled.</summary>
    int Lost,
    int UnitsSold,
    int OversoldUnits,
    double? QueueDrainedAtSeconds);

/// <summary>
/// One product on sale: confirmed units beyond its stock, or a negative count left, are oversold units.
/// <paramref name="StockLeft"/> is what the catalog says after the run (null if it did not answer).
/// </summary>
public sealed record ProductOutcome(int Stock, int UnitsSold, int? StockLeft)
{
    public int Oversold => Math.Max(0, UnitsSold - Stock) + Math.Max(0, -(StockLeft ?? 0));
}
