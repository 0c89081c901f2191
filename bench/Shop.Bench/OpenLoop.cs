using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Shop.Bench.Cpu;

namespace Shop.Bench;

/// <summary>
/// Operations started at a fixed rate whether or not the earlier ones have finished, as shoppers arrive: the latency of
/// each is counted from the moment it was due, so a slow answer also delays none of the later ones out of the figure
/// (no coordinated omission). Used for the latency at a given load, where a closed loop can only show it at saturation.
/// </summary>
public static class OpenLoop
{
    /// <param name="perSecond">The offered rate; asked when the run starts, so it can come from an earlier figure.</param>
    public static async Task<LoadRun> RunAsync(string what, Func<double> perSecond, Func<long, CancellationToken, Task> operation, CancellationToken token, CpuMeter? meter = null)
    {
        var rate = perSecond();
        if (rate <= 0)
        {
            return new LoadRun(0, 0, 0, 0, 0, $"{what}: no rate to offer (the figure it halves was not measured)\n");
        }
        var interval = TimeSpan.FromSeconds(1 / rate);
        var total = (long)(rate * (ClosedLoop.Warmup + ClosedLoop.Duration).TotalSeconds);
        var latencies = new ConcurrentBag<double>();
        long errors = 0;
        var failures = new StringBuilder();
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        var measuring = false;
        for (long n = 0; n < total; n++)
        {
            var due = interval * n;
            if (due - clock.Elapsed is { Ticks: > 0 } wait)
            {
                await Task.Delay(wait, token);
            }
            if (!measuring && due >= ClosedLoop.Warmup)
            {
                measuring = true;
                meter?.Start();
            }
            var counted = due >= ClosedLoop.Warmup;
            var sequence = n;
            inFlight.Add(Task.Run(async () =>
            {
                try
                {
                    await operation(sequence, token);
                    if (counted)
                    {
                        latencies.Add((clock.Elapsed - due).TotalMilliseconds);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    Interlocked.Increment(ref errors);
                    lock (failures)
                    {
                        if (failures.Length < 2000)
                        {
                            failures.AppendLine(e.Message);
                        }
                    }
                }
            }, token));
        }
        await Task.WhenAll(inFlight);
        if (meter is not null && measuring)
        {
            await meter.StopAsync();
        }

        var all = latencies.Order().ToArray();
        var run = new LoadRun(all.Length / ClosedLoop.Duration.TotalSeconds, Stats.Percentile(all, 0.50), Stats.Percentile(all, 0.99), all.Length, errors, "");
        return run with
        {
            Output = $"{what}: {rate:N1} operations/s offered, {ClosedLoop.Warmup.TotalSeconds} s warm-up, {ClosedLoop.Duration.TotalSeconds} s measured\n" +
                     $"{run.Operations:N0} operations, {run.PerSecond:N1}/s, p50 {run.P50Milliseconds:N2} ms, p99 {run.P99Milliseconds:N2} ms (from when each was due), {run.Errors:N0} errors\n{failures}",
        };
    }
}
