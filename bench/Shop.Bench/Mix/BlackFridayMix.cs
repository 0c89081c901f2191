using Shop.LoadTest;
using Shop.LoadTest.Reporting;

namespace Shop.Bench.Mix;

/// <summary>
/// <c>mix.blackfriday</c>: a short peak sale from the load-test program, run as a process of its own (join, waiting on
/// the queue resource, catalog, storefront cart, orders, order polls) arriving faster than two cores can serve, so its
/// goodput (answered 2xx/3xx per second of the sale) is what the whole shop sustains for that mix; against the edge's
/// plaintext floor (<c>edge.plaintext</c>) measured right before it. 5xx and unanswered requests are counted apart.
/// </summary>
public sealed class BlackFridayMix(BenchShop shop, Baseline baseline)
{
    public async Task<IMeasurement> MeasureAsync(CancellationToken token)
    {
        Console.WriteLine("Measuring mix.blackfriday (a short peak sale through the load-test program) ...");
        var floor = await Wrk.RunAsync(baseline.EdgeUrl + Baseline.PlaintextPath, Wrk.Duration, token);
        var options = LoadTestOptions.Parse(
        [
            "--target", shop.EdgeUrl,
            // Admin calls straight to an instance on this machine: the edge takes the key over https only.
            "--admin-target", shop.ApiUrl,
            "--admin-key", await shop.ParameterAsync("admin-key", token),
            "--shoppers", "6000",
            "--arrival-seconds", "15",
            "--poll-seconds", "1",
            "--stock", "3000",
            "--products", "4941-4960",
            "--admissions-per-minute", "30000",
            "--max-active", "6000",
            "--duration", "180",
            // Beside artifacts/bench, which the report rewrites from scratch at the end.
            "--report", Path.Combine(BootedShop.RepositoryRoot, "artifacts", "loadtest", "bench-mix-blackfriday"),
        ]);
        var run = await LoadGeneratorProcess.RunAsync(shop, BenchShop.BenchDataDirectory, options, captureOutput: true, token);
        return new MixMeasurement(floor, run.Result, run.ExitCode, run.Output);
    }
}

public sealed record MixMeasurement(WrkRun Baseline, LoadTestResult? Result, int ExitCode, string Output) : IMeasurement
{
    public string Name => "mix.blackfriday";
    public string BaselineOutput => Baseline.Output;

    /// <remarks>
    /// The mix arrives faster than the machine serves it; overload should make a queue, not errors, and the 5xx and
    /// unanswered counts say how far it is from that. Only a lost order or an oversold unit makes it no figure.
    /// </remarks>
    public string? Problem =>
        Baseline.Problem is { } floor ? $"baseline: {floor}"
        : Result is null ? $"the load test wrote no report (exit {ExitCode})"
        : !Result.Passed ? $"lost {Result.Summary.Lost}, oversold {Result.Summary.OversoldUnits}"
        : null;

    public IReadOnlyList<BenchResult> Results => Result is not { } r || r.Summary.SaleSeconds <= 0 ? [] :
    [
        new("mix.blackfriday.goodput.rps", r.Summary.GoodputPerSecond, "req/s", "edge.plaintext.rps", Math.Round(Baseline.RequestsPerSecond, 1)),
        new("mix.blackfriday.order_accept.p99", r.Summary.OrderAcceptLatencyMs.P99, "ms", "edge.plaintext.p99", Math.Round(Baseline.P99Milliseconds, 3)),
        new("mix.blackfriday.catalog.p99", r.Summary.CatalogLatencyMs.P99, "ms", "edge.plaintext.p99", Math.Round(Baseline.P99Milliseconds, 3)),
        new("mix.blackfriday.storefront.p99", r.Summary.StorefrontLatencyMs.P99, "ms", "edge.plaintext.p99", Math.Round(Baseline.P99Milliseconds, 3)),
        // Counts against the goal of none: the ratio column shows the count itself.
        new("mix.blackfriday.errors5xx", r.Summary.Errors5xx, "req", "goal 0", 1),
        new("mix.blackfriday.unanswered", r.Summary.Unanswered, "req", "goal 0", 1),
    ];
}
