namespace Shop.Bench.Cpu;

/// <summary>One process as /proc/&lt;pid&gt;/stat shows it: CPU time in clock ticks, its own and its reaped children's.</summary>
public sealed record ProcessStat(int Pid, int ParentPid, string Command, long StartTime, long OwnTicks, long ReapedTicks);

/// <summary>
/// A process whose whole tree is one group (a resource's launcher, the baseline). <paramref name="DescendantGroup"/>
/// names its descendants instead, where they are something else (the runner's: the orchestrator);
/// <paramref name="ReapedGroup"/> gets the time of the children it reaped (the runner's: wrk runs).
/// </summary>
public sealed record ProcessRoot(int Pid, string Group, string? DescendantGroup = null, string? ReapedGroup = null);

/// <summary>Which group each process belongs to: the nearest root among its ancestors, else the shop's process tag, else none.</summary>
public static class ProcessGroups
{
    /// <summary>The shop's processes that no root claims (a daemon that left its parent, such as epmd).</summary>
    public const string TaggedGroup = "shop (other)";

    /// <summary>The group of a resource: API instances, order workers and the two Redis servers each count as one group.</summary>
    public static string OfResource(string resource) => resource switch
    {
        _ when resource.StartsWith("api-", StringComparison.Ordinal) => "api",
        _ when resource.StartsWith("orderworker-", StringComparison.Ordinal) => "orderworker",
        "postgres-replica" => "replica",
        "blobs" => "azurite",
        "cache" => "redis",
        _ => resource,
    };

    /// <param name="isTagged">Whether a process carries the shop's process tag; asked only of processes no root claims.</param>
    /// <returns>Each process's group and, for roots, where their reaped children's time goes.</returns>
    public static (IReadOnlyDictionary<int, string> Own, IReadOnlyDictionary<int, string> Reaped) Assign(
        IReadOnlyCollection<ProcessStat> processes, IReadOnlyCollection<ProcessRoot> roots, Func<int, bool> isTagged)
    {
        var parents = processes.ToDictionary(p => p.Pid, p => p.ParentPid);
        var rootsByPid = roots.GroupBy(r => r.Pid).ToDictionary(g => g.Key, g => g.First());
        var own = new Dictionary<int, string>();
        var reaped = new Dictionary<int, string>();
        foreach (var process in processes)
        {
            if (rootsByPid.TryGetValue(process.Pid, out var self))
            {
                own[process.Pid] = self.Group;
                reaped[process.Pid] = self.ReapedGroup ?? self.Group;
                continue;
            }
            var group = NearestRoot(process.Pid, parents, rootsByPid) is { } root ? root.DescendantGroup ?? root.Group
                : isTagged(process.Pid) ? TaggedGroup
                : null;
            if (group is not null)
            {
                own[process.Pid] = group;
                reaped[process.Pid] = group;
            }
        }
        return (own, reaped);
    }

    private static ProcessRoot? NearestRoot(int pid, Dictionary<int, int> parents, Dictionary<int, ProcessRoot> roots)
    {
        var seen = new HashSet<int>();
        while (parents.TryGetValue(pid, out var parent) && parent > 1 && seen.Add(parent))
        {
            if (roots.TryGetValue(parent, out var root))
            {
                return root;
            }
            pid = parent;
        }
        return null;
    }
}
