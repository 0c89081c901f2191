using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Shop.Bench;

/// <summary>One entry of results.json: a figure, the baseline it is divided by and their ratio, all from one run.</summary>
public sealed record BenchResult(string Name, double Value, string Unit, string Baseline, double BaselineValue)
{
    public double Ratio => Math.Round(Value / BaselineValue, 4);
}

/// <summary>A figure and the baseline it is divided by, with the raw reports behind both.</summary>
public interface IMeasurement
{
    string Name { get; }
    string? Problem { get; }
    IReadOnlyList<BenchResult> Results { get; }
    string Output { get; }
    string BaselineOutput { get; }
}

/// <summary>A GET figure and the bare-Kestrel baseline measured right before it.</summary>
public sealed record Measurement(Figure Figure, WrkRun Baseline, WrkRun Run) : IMeasurement
{
    public string Name => Figure.Name;
    public string Output => Run.Output;
    public string BaselineOutput => Baseline.Output;
    public string? Problem => Baseline.Problem is { } floor ? $"baseline: {floor}" : Run.Problem;

    public IReadOnlyList<BenchResult> Results =>
    [
        new($"{Figure.Name}.rps", Math.Round(Run.RequestsPerSecond, 1), "req/s", "baseline.rps", Math.Round(Baseline.RequestsPerSecond, 1)),
        new($"{Figure.Name}.p99", Math.Round(Run.P99Milliseconds, 3), "ms", "baseline.p99", Math.Round(Baseline.P99Milliseconds, 3)),
    ];
}

/// <summary>A closed-loop figure against the raw operation underneath it (a broker publish, a database insert).</summary>
public sealed record LoadMeasurement(string Name, LoadRun Run, string BaselineName, LoadRun Baseline, string Unit, bool Latency = true) : IMeasurement
{
    public string Output => Run.Output;
    public string BaselineOutput => Baseline.Output;
    public string? Problem => Baseline.Problem is { } floor ? $"{BaselineName}: {floor}" : Run.Problem;

    public IReadOnlyList<BenchResult> Results =>
    [
        new($"{Name}.rate", Math.Round(Run.PerSecond, 1), Unit, $"{BaselineName}.rate", Math.Round(Baseline.PerSecond, 1)),
        .. Latency
            ? new BenchResult[]
            {
                new($"{Name}.p50", Math.Round(Run.P50Milliseconds, 3), "ms", $"{BaselineName}.p50", Math.Round(Baseline.P50Milliseconds, 3)),
                new($"{Name}.p99", Math.Round(Run.P99Milliseconds, 3), "ms", $"{BaselineName}.p99", Math.Round(Baseline.P99Milliseconds, 3)),
            }
            : [],
    ];
}

/// <summary>
/// Writes artifacts/bench: results.json (the figures that succeeded), results.md (every figure, failures
/// included) and each wrk report under wrk/.
/// </summary>
public static class Report
{
    private static readonly string Folder = Path.Combine(Repository.Root, "artifacts", "bench");
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <returns>The markdown table, for the console.</returns>
    public static string Write(IReadOnlyList<IMeasurement> measurements, string edgeUrl)
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
        var reports = Directory.CreateDirectory(Path.Combine(Folder, "wrk")).FullName;
        foreach (var measurement in measurements)
        {
            File.WriteAllText(Path.Combine(reports, $"{measurement.Name}.txt"), measurement.Output);
            File.WriteAllText(Path.Combine(reports, $"{measurement.Name}.baseline.txt"), measurement.BaselineOutput);
        }
        var results = measurements.Where(m => m.Problem is null).SelectMany(m => m.Results);
        File.WriteAllText(Path.Combine(Folder, "results.json"), JsonSerializer.Serialize(results, Json));
        var table = Table(measurements, edgeUrl);
        File.WriteAllText(Path.Combine(Folder, "results.md"), table);
        return table;
    }

    private static string Table(IReadOnlyList<IMeasurement> measurements, string edgeUrl)
    {
        var table = new StringBuilder()
            .AppendLine("# Benchmark")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores. {Wrk.Settings}.")
            .AppendLine(CultureInfo.InvariantCulture, $"Catalog figures and `waitingroom.status` go through the edge ({edgeUrl}); their baseline is a bare Kestrel `GET /` → \"ok\", measured right before each figure.")
            .AppendLine("Order figures: `orders.accept` is POST /api/orders to one API instance (32 callers, closed loop) against raw persistent publishes with confirms (same size, same callers); `orders.accept.during_report` is the same loop while a heavy report query runs on the read replica throughout, against `orders.accept` right before it without the report; `orders.apply` is the workers draining a full queue against raw single-row inserts with synchronous_commit=on (one caller per worker).")
            .AppendLine(CultureInfo.InvariantCulture, $"Waiting-room figures run during a sale opened for them: `waitingroom.join` is POST /api/waitingroom/join through the edge (wrk as above, a new join each) against `redis-benchmark -t incr -c {Wrk.Connections} -n {WaitingRoom.WaitingRoomBench.IncrRequests}` on the same Redis; `waitingroom.status` polls with one ticket from the back of the queue.")
            .AppendLine()
            .AppendLine("`mix.blackfriday` is a short peak sale from the load-test program (6,000 shoppers arriving over 15 s, each joining, polling every second, browsing, carting through the storefront, ordering and polling the order; report in artifacts/loadtest/bench-mix-blackfriday/): its requests/s is every successful answer divided by the run's length (the mix is meant to saturate; failures are in its report), against the plaintext baseline measured right before it.")
            .AppendLine("Ratio = figure / baseline: below 1 for req/s and above 1 for p99 is the cost of the real path.")
            .AppendLine()
            .AppendLine("| figure | value | baseline | ratio |")
            .AppendLine("|---|---:|---:|---:|");
        foreach (var measurement in measurements)
        {
            if (measurement.Problem is { } problem)
            {
                table.AppendLine(CultureInfo.InvariantCulture,
                    $"| {measurement.Name} | **failed**: {problem}; see wrk/{measurement.Name}.txt | | |");
                continue;
            }
            foreach (var result in measurement.Results)
            {
                table.AppendLine(CultureInfo.InvariantCulture,
                    $"| {result.Name} | {Format(result.Value, result.Unit)} | {Format(result.BaselineValue, result.Unit)} | {result.Ratio:G3} |");
            }
        }
        return table.ToString();
    }

    private static string Format(double value, string unit) =>
        $"{value.ToString(unit == "ms" ? "N2" : "N0", CultureInfo.InvariantCulture)} {unit}";

}
