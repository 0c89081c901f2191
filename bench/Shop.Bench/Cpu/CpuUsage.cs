namespace Shop.Bench.Cpu;

/// <summary>
/// Where the machine's CPU went during a measured window: clock ticks per process group and for the whole machine
/// (all cores, as /proc/stat counts them), and each group's peak resident memory during the window.
/// </summary>
public sealed record CpuUsage(long MachineTicks, long MachineBusyTicks, IReadOnlyDictionary<string, long> GroupTicks, IReadOnlyDictionary<string, long> PeakRssBytes)
{
    /// <summary>What the shop and the bench did not use: other processes on the machine, busy all the same.</summary>
    public const string RestOfMachine = "rest of machine";

    public const string Idle = "idle";

    public static CpuUsage Empty { get; } = new(0, 0, new Dictionary<string, long>(), new Dictionary<string, long>());

    /// <summary>A group's share of the whole machine (every core), in percent; the rest of the machine and idle included.</summary>
    public double Share(string group) => MachineTicks <= 0 ? 0 : 100.0 * group switch
    {
        RestOfMachine => Math.Max(0, MachineBusyTicks - GroupTicks.Values.Sum()),
        Idle => MachineTicks - MachineBusyTicks,
        _ => GroupTicks.GetValueOrDefault(group),
    } / MachineTicks;

    /// <summary>Several windows as one: ticks add up, peaks are the highest.</summary>
    public static CpuUsage Combine(IEnumerable<CpuUsage> windows) => windows.Aggregate(Empty, (sum, next) => new CpuUsage(
        sum.MachineTicks + next.MachineTicks,
        sum.MachineBusyTicks + next.MachineBusyTicks,
        Merge(sum.GroupTicks, next.GroupTicks, (a, b) => a + b),
        Merge(sum.PeakRssBytes, next.PeakRssBytes, Math.Max)));

    private static Dictionary<string, long> Merge(IReadOnlyDictionary<string, long> a, IReadOnlyDictionary<string, long> b, Func<long, long, long> combine)
    {
        var merged = new Dictionary<string, long>(a);
        foreach (var (key, value) in b)
        {
            merged[key] = merged.TryGetValue(key, out var existing) ? combine(existing, value) : value;
        }
        return merged;
    }

    /// <summary>
    /// The ticks each group used between two snapshots. A process new since the first counts from zero; a process gone
    /// by the second counts through its parent, which has reaped it (a reaped child's ticks are added to its parent's).
    /// </summary>
    public static Dictionary<string, long> Delta(
        IReadOnlyDictionary<int, ProcessStat> before, IReadOnlyDictionary<int, ProcessStat> after,
        IReadOnlyDictionary<int, string> own, IReadOnlyDictionary<int, string> reaped)
    {
        var ticks = new Dictionary<string, long>();
        foreach (var (pid, end) in after)
        {
            var start = before.TryGetValue(pid, out var earlier) && earlier.StartTime == end.StartTime ? earlier : null;
            if (own.TryGetValue(pid, out var group))
            {
                ticks[group] = ticks.GetValueOrDefault(group) + end.OwnTicks - (start?.OwnTicks ?? 0);
            }
            if (reaped.TryGetValue(pid, out var reapedGroup))
            {
                ticks[reapedGroup] = ticks.GetValueOrDefault(reapedGroup) + end.ReapedTicks - (start?.ReapedTicks ?? 0);
            }
        }
        return ticks;
    }
}
