using System.Diagnostics;
using System.Text;
using Shop.Bench.Cpu;

namespace Shop.Bench;

/// <summary>What a closed-loop run measured: operations per second and their latency percentiles.</summary>
public sealed record LoadRun(double PerSecond, double P50Milliseconds, double P99Milliseconds, long Operations, long Errors, string Output)
{
    public string? Problem =>
        Operations == 0 ? "no operation completed"
        : Errors > Operations / 100.0 ? $"{Errors:N0} errors in {Operations + Errors:N0} operations" : null;
}

/// <summary>
/// A fixed number of callers, each starting its next operation as soon as the last one finished, for a warm-up
/// and then a measured period. Used where wrk cannot go: POSTs that need a fresh key each, and raw broker or
/// database operations, so a figure and its baseline are driven the same way.
/// </summary>
public static class ClosedLoop
{
    /// <summary>Connections opened and pools filled; the bench's own warm-up has already run every path.</summary>
    public static readonly TimeSpan Warmup = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Duration = Wrk.Duration;

    /// <param name="meter">When given, its window is the measured period.</param>
    public static async Task<LoadRun> RunAsync(string what, int concurrency, Func<long, CancellationToken, Task> operation, CancellationToken token, CpuMeter? meter = null)
    {
        long sequence = 0;
        var clock = Stopwatch.StartNew();
        var window = meter is null ? Task.CompletedTask : Task.Run(async () =>
        {
            await Task.Delay(Warmup, token);
            meter.Start();
            try
            {
                await Task.Delay(Duration - (clock.Elapsed - Warmup) is { Ticks: > 0 } left ? left : TimeSpan.Zero, token);
            }
            finally
            {
                await meter.StopAsync();
            }
        }, token);
        var latencies = new List<double>[concurrency];
        var errors = new long[concurrency];
        var failures = new StringBuilder();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async caller =>
        {
            latencies[caller] = [];
            while (clock.Elapsed < Warmup + Duration)
            {
                token.ThrowIfCancellationRequested();
                var started = clock.Elapsed;
                try
                {
                    await operation(Interlocked.Increment(ref sequence), token);
                    if (started >= Warmup && clock.Elapsed <= Warmup + Duration)
                    {
                        latencies[caller].Add((clock.Elapsed - started).TotalMilliseconds);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    errors[caller]++;
                    lock (failures)
                    {
                        if (failures.Length < 2000)
                        {
                            failures.AppendLine(e.Message);
                        }
                    }
                }
            }
        }));
        await window;

        var all = latencies.SelectMany(l => l).Order().ToArray();
        var run = new LoadRun(all.Length / Duration.TotalSeconds, Stats.Percentile(all, 0.50), Stats.Percentile(all, 0.99), all.Length, errors.Sum(), "");
        return run with
        {
            Output = $"{what}: {concurrency} callers, {Warmup.TotalSeconds} s warm-up, {Duration.TotalSeconds} s measured\n" +
                     $"{run.Operations:N0} operations, {run.PerSecond:N1}/s, p50 {run.P50Milliseconds:N2} ms, p99 {run.P99Milliseconds:N2} ms, {run.Errors:N0} errors\n{failures}",
        };
    }
}
