using Shop.Bench.Cpu;

namespace Shop.Bench;

/// <summary>
/// Before the first figure, every path of the selected figures and their baselines at once, round after round until
/// <see cref="Duration"/> has passed: JIT tiers, connection pools, caches and the database's buffers are warm for
/// every figure, not only for the first one measured.
/// </summary>
public static class WarmUp
{
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(IReadOnlyList<Side> sides, CancellationToken token)
    {
        Console.WriteLine($"Warming up {sides.Count} paths ({string.Join(", ", sides.Select(s => s.Name).Distinct())}) for at least {Duration.TotalSeconds} s ...");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < Duration)
        {
            // A warm-up's answers are not judged: without a sale a join may be refused, and that still runs its path.
            await Task.WhenAll(sides.Select(side => side.RunAsync(CpuMeter.Off, token)));
        }
    }
}
