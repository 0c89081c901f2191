using System.Globalization;
using System.Text;
using System.Text.Json;
using Shop.Bench.Cpu;

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

/// <summary>A group of figures that could not finish: the exception that stopped it.</summary>
public sealed record BrokenGroup(string Group, Exception Error) : IMeasurement
{
    public string Name => $"{Group} (rest of the group)";
    public string? Problem => $"stopped: {Error.GetType().Name}: {Error.Message}";
    public IReadOnlyList<BenchResult> Results => [];
    public string Output => Error.ToString();
    public string BaselineOutput => "";
}

/// <summary>
/// Writes artifacts/bench: results.json (the figures that succeeded), results.md (every figure, failures included,
/// and where the CPU went) and every raw report under raw/.
/// </summary>
public static class Report
{
    private static readonly string Folder = Path.Combine(BootedShop.RepositoryRoot, "artifacts", "bench");
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The CPU table's columns, in this order when present; any other group follows.</summary>
    private static readonly string[] GroupOrder =
    [
        "edge", "api", "web", "orderworker", "reporting", "postgres", "replica", "pgbouncer", "redis", "rabbitmq", "azurite",
        "baseline edge", "baseline kestrel", "wrk", "bench runner", "orchestrator", ProcessGroups.TaggedGroup,
    ];

    /// <summary>Peak resident memory is shown for these (the services and the infrastructure).</summary>
    private static readonly string[] MemoryGroups =
        ["edge", "api", "web", "orderworker", "reporting", "postgres", "replica", "redis", "rabbitmq", "azurite", "baseline kestrel"];

    /// <returns>The markdown table, for the console.</returns>
    /// <param name="stopped">Resources that were no longer running at the end: every figure after their end is suspect.</param>
    /// <param name="telemetry">How the measured shop's telemetry was configured, and what it sent.</param>
    public static string Write(IReadOnlyList<IMeasurement> measurements, string edgeUrl, string baselineEdgeUrl, IReadOnlyList<string> stopped, string? telemetry)
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
        var reports = Directory.CreateDirectory(Path.Combine(Folder, "raw")).FullName;
        foreach (var measurement in measurements)
        {
            File.WriteAllText(Path.Combine(reports, $"{measurement.Name}.txt"), measurement.Output);
            File.WriteAllText(Path.Combine(reports, $"{measurement.Name}.baseline.txt"), measurement.BaselineOutput);
        }
        var results = measurements.Where(m => m.Problem is null).SelectMany(m => m.Results);
        File.WriteAllText(Path.Combine(Folder, "results.json"), JsonSerializer.Serialize(results, Json));
        var table = Table(measurements, edgeUrl, baselineEdgeUrl, stopped, telemetry);
        File.WriteAllText(Path.Combine(Folder, "results.md"), table);
        return table;
    }

    private static string Table(IReadOnlyList<IMeasurement> measurements, string edgeUrl, string baselineEdgeUrl, IReadOnlyList<string> stopped, string? telemetry)
    {
        var table = new StringBuilder()
            .AppendLine("# Benchmark")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores. GET figures: {Wrk.Settings}; POST figures: closed loops of the same callers as their baseline ({ClosedLoop.Warmup.TotalSeconds} s to connect, {ClosedLoop.Duration.TotalSeconds} s measured).")
            .AppendLine(CultureInfo.InvariantCulture, $"Figures go through the shop's edge ({edgeUrl}); baselines through an nginx running the same generated edge config in front of a bare Kestrel ({baselineEdgeUrl}), its endpoints under /api/.")
            .AppendLine(CultureInfo.InvariantCulture, $"Every path was warmed up for at least {WarmUp.Duration.TotalSeconds} s before the first figure. Each value is the median of {Figure.Runs} runs, each run right after a run of its baseline; \"runs\" lists every run's rate. Ratio = figure / baseline.")
            .AppendLine(telemetry is null ? "" : $"The shop's telemetry: {telemetry}.")
            .AppendLine(stopped.Count == 0 ? "" : $"\n**Not running at the end: {string.Join(", ", stopped)}** (see .data/bench/logs/): the figures measured after they stopped are not the shop's.\n")
            .AppendLine("| figure | value | baseline | baseline value | ratio | runs |")
            .AppendLine("|---|---:|---|---:|---:|---|");
        foreach (var measurement in measurements)
        {
            if (measurement.Problem is { } problem)
            {
                table.AppendLine(CultureInfo.InvariantCulture,
                    $"| {measurement.Name} | **failed**: {problem}; see raw/{measurement.Name}.txt | | | | |");
                continue;
            }
            var spread = measurement is FigureResult figure ? figure.Spread : "";
            foreach (var result in measurement.Results)
            {
                table.AppendLine(CultureInfo.InvariantCulture,
                    $"| {result.Name} | {Format(result.Value, result.Unit)} | {result.Baseline} | {Format(result.BaselineValue, result.Unit)} | {result.Ratio:G3} | {(result.Name.EndsWith(".rps", StringComparison.Ordinal) ? spread : "")} |");
            }
        }
        AppendCpu(table, [.. measurements.OfType<FigureResult>()]);
        return table.ToString();
    }

    /// <summary>Per figure and per baseline, each group's share of the machine over its measured windows, then peak memory.</summary>
    private static void AppendCpu(StringBuilder table, IReadOnlyList<FigureResult> figures)
    {
        if (figures.Count == 0)
        {
            return;
        }
        var rows = figures.SelectMany(f => new[] { (Name: f.Name, Usage: f.Cpu), (Name: $"↳ {f.BaselineName}", Usage: f.BaselineCpu) }).ToList();
        var groups = Columns(rows.SelectMany(r => r.Usage.GroupTicks.Where(g => g.Value > 0).Select(g => g.Key)));
        table.AppendLine()
            .AppendLine("## Where the CPU went")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Share of the whole machine ({Environment.ProcessorCount} cores = 100 %) over each figure's measured windows (all its runs), from /proc/<pid>/stat (utime+stime, and the children each process reaped) against /proc/stat; processes are grouped by the AppHost resource they descend from (api = every API instance, orderworker = every worker). wrk is the load generator (the runner's reaped children); bench runner = the closed loops' callers and the in-process AppHost; orchestrator = DCP; rest of machine = whatever else ran on this shared box.")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"| figure | {string.Join(" | ", groups)} | {CpuUsage.RestOfMachine} | {CpuUsage.Idle} |")
            .AppendLine(CultureInfo.InvariantCulture, $"|---|{string.Concat(Enumerable.Repeat("---:|", groups.Count + 2))}");
        foreach (var (name, usage) in rows)
        {
            var shares = groups.Append(CpuUsage.RestOfMachine).Append(CpuUsage.Idle).Select(g => usage.Share(g).ToString("N1", CultureInfo.InvariantCulture));
            table.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {string.Join(" | ", shares)} |");
        }

        var memory = MemoryGroups.Where(g => figures.Any(f => f.Cpu.PeakRssBytes.ContainsKey(g))).ToList();
        table.AppendLine()
            .AppendLine("Peak memory during each figure's windows, MB: the proportional set size (Pss, shared pages split among their sharers), sampled twice a second and summed over a group's processes:")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"| figure | {string.Join(" | ", memory)} |")
            .AppendLine(CultureInfo.InvariantCulture, $"|---|{string.Concat(Enumerable.Repeat("---:|", memory.Count))}");
        foreach (var figure in figures)
        {
            var peaks = memory.Select(g => (figure.Cpu.PeakRssBytes.GetValueOrDefault(g) / 1048576.0).ToString("N0", CultureInfo.InvariantCulture));
            table.AppendLine(CultureInfo.InvariantCulture, $"| {figure.Name} | {string.Join(" | ", peaks)} |");
        }
    }

    private static List<string> Columns(IEnumerable<string> present)
    {
        var set = present.ToHashSet();
        return [.. GroupOrder.Where(set.Contains), .. set.Except(GroupOrder).Order(StringComparer.Ordinal)];
    }

    private static string Format(double value, string unit) =>
        $"{value.ToString(unit == "ms" ? "N2" : "N0", CultureInfo.InvariantCulture)} {unit}";
}
