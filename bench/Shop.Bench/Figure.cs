using Shop.Bench.Cpu;

namespace Shop.Bench;

/// <summary>One run of one side of a figure; it opens and closes the meter's window around what it measures.</summary>
public delegate Task<LoadRun> RunOnce(CpuMeter meter, CancellationToken token);

/// <summary>One side of a figure (the figure itself or its baseline): a name and how to run it once.</summary>
public sealed record Side(string Name, RunOnce RunAsync)
{
    /// <summary>A wrk run against <paramref name="url"/>; <paramref name="scriptArguments"/> is asked anew for each run.</summary>
    public static Side Wrk(string name, string url, string? script = null, string? header = null, Func<IReadOnlyList<string>>? scriptArguments = null) =>
        new(name, async (meter, token) =>
        {
            var arguments = scriptArguments?.Invoke() ?? [];
            meter.Start();
            try
            {
                return (await Bench.Wrk.RunAsync(url, Bench.Wrk.Duration, token, script, header, arguments)).ToLoadRun();
            }
            finally
            {
                await meter.StopAsync();
            }
        });

    /// <summary>Operations started at a fixed rate, asked when each run starts (see <see cref="OpenLoop"/>).</summary>
    public static Side Rate(string name, Func<double> perSecond, Func<long, CancellationToken, Task> operation) =>
        new(name, (meter, token) => OpenLoop.RunAsync(name, perSecond, operation, token, meter));

    /// <summary>A closed loop of <paramref name="concurrency"/> callers.</summary>
    public static Side Loop(string name, int concurrency, Func<long, CancellationToken, Task> operation) =>
        new(name, (meter, token) => ClosedLoop.RunAsync(name, concurrency, operation, token, meter));
}

/// <summary>
/// A figure and its baseline: <see cref="Runs"/> runs, each the baseline right before the figure so both meet the
/// machine in the same state; the figure is the median of its runs, against the median of the baseline's.
/// </summary>
public sealed record Figure(string Name, string Unit, Side Measured, Side Baseline, bool Latency = true)
{
    public const int Runs = 3;

    public async Task<FigureResult> MeasureAsync(CpuMeter meter, CancellationToken token)
    {
        Console.WriteLine($"Measuring {Name} against {Baseline.Name} ({Runs} runs) ...");
        var baselineRuns = new List<LoadRun>();
        var runs = new List<LoadRun>();
        var baselineCpu = new List<CpuUsage>();
        var cpu = new List<CpuUsage>();
        for (var run = 0; run < Runs; run++)
        {
            baselineRuns.Add(await Baseline.RunAsync(meter, token));
            baselineCpu.Add(meter.Usage);
            runs.Add(await Measured.RunAsync(meter, token));
            cpu.Add(meter.Usage);
            Console.WriteLine($"  run {run + 1}: {Baseline.Name} {baselineRuns[^1].PerSecond:N0}/s, {Name} {runs[^1].PerSecond:N0}/s");
        }
        return new FigureResult(this, runs, baselineRuns, CpuUsage.Combine(cpu), CpuUsage.Combine(baselineCpu));
    }
}

/// <summary>A figure's runs and its baseline's, with the CPU their measured windows used (all runs together).</summary>
public sealed record FigureResult(Figure Figure, IReadOnlyList<LoadRun> Runs, IReadOnlyList<LoadRun> BaselineRuns, CpuUsage Cpu, CpuUsage BaselineCpu) : IMeasurement
{
    public string Name => Figure.Name;
    public string BaselineName => Figure.Baseline.Name;

    public string? Problem =>
        BaselineRuns.Select(r => r.Problem).FirstOrDefault(p => p is not null) is { } floor ? $"{BaselineName}: {floor}"
        : Runs.Select(r => r.Problem).FirstOrDefault(p => p is not null);

    public string Output => Joined(Runs);
    public string BaselineOutput => Joined(BaselineRuns);

    public IReadOnlyList<BenchResult> Results =>
    [
        new($"{Name}.rps", Math.Round(Stats.Median(Runs.Select(r => r.PerSecond)), 1), Figure.Unit,
            $"{BaselineName}.rps", Math.Round(Stats.Median(BaselineRuns.Select(r => r.PerSecond)), 1)),
        .. Figure.Latency
            ? new BenchResult[]
            {
                new($"{Name}.p99", Math.Round(Stats.Median(Runs.Select(r => r.P99Milliseconds)), 3), "ms",
                    $"{BaselineName}.p99", Math.Round(Stats.Median(BaselineRuns.Select(r => r.P99Milliseconds)), 3)),
            }
            : [],
    ];

    /// <summary>Every run's value, for the table: how far apart the runs were.</summary>
    public string Spread => string.Join(" / ", Runs.Select(r => r.PerSecond.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)));

    private static string Joined(IReadOnlyList<LoadRun> runs) =>
        string.Concat(runs.Select((run, i) => $"==== run {i + 1} of {runs.Count} ====\n{run.Output}\n"));
}

/// <summary>Small statistics over runs.</summary>
public static class Stats
{
    /// <summary>The value <paramref name="p"/> (0..1) of the way up an ascending array; 0 for none.</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>The middle value (the mean of the two middle ones for an even count); 0 for none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
