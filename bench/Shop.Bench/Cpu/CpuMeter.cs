using System.Globalization;
using System.Text;

namespace Shop.Bench.Cpu;

/// <summary>
/// Measures one window: <see cref="Start"/> and <see cref="StopAsync"/> snapshot every process's CPU time
/// (/proc/&lt;pid&gt;/stat utime+stime, and cutime+cstime for reaped children) and the machine's (/proc/stat); in
/// between, the memory of each group is sampled twice a second for its peak: the proportional set size (Pss of
/// /proc/&lt;pid&gt;/smaps_rollup), which splits shared pages among the processes sharing them, so a group's sum does
/// not count Postgres's shared buffers once per backend as summed VmRSS would.
/// </summary>
public sealed class CpuMeter(Func<IReadOnlyCollection<ProcessRoot>> roots, string processTag)
{
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(500);
    private readonly Dictionary<(int Pid, long Start), bool> tagged = new();
    private Dictionary<int, ProcessStat>? before;
    private (long Total, long Busy) machineBefore;
    private IReadOnlyCollection<ProcessRoot> windowRoots = [];
    private Dictionary<string, long> peakRss = new();
    private CancellationTokenSource? sampling;
    private Task? sampler;

    private bool enabled = true;

    /// <summary>A meter that measures nothing, for runs that are no figure (the warm-up).</summary>
    public static CpuMeter Off => new(() => [], "") { enabled = false };

    /// <summary>The last window's usage (empty until one has been stopped).</summary>
    public CpuUsage Usage { get; private set; } = CpuUsage.Empty;

    public void Start()
    {
        if (!enabled)
        {
            return;
        }
        windowRoots = roots();
        peakRss = new();
        machineBefore = Machine();
        before = Processes();
        sampling = new CancellationTokenSource();
        sampler = SampleAsync(sampling.Token);
    }

    public async Task<CpuUsage> StopAsync()
    {
        if (before is null || sampling is null || sampler is null)
        {
            return Usage = CpuUsage.Empty;
        }
        var after = Processes();
        var machine = Machine();
        await sampling.CancelAsync();
        await sampler;
        sampling.Dispose();
        var (own, reaped) = Assign(after);
        Usage = new CpuUsage(machine.Total - machineBefore.Total, machine.Busy - machineBefore.Busy,
            CpuUsage.Delta(before, after, own, reaped), peakRss);
        before = null;
        return Usage;
    }

    private (IReadOnlyDictionary<int, string> Own, IReadOnlyDictionary<int, string> Reaped) Assign(Dictionary<int, ProcessStat> processes) =>
        ProcessGroups.Assign(processes.Values, windowRoots, pid => IsTagged(processes[pid]));

    private async Task SampleAsync(CancellationToken token)
    {
        try
        {
            while (!token.IsCancellationRequested)
            {
                var processes = Processes();
                var (own, _) = Assign(processes);
                foreach (var group in own.GroupBy(p => p.Value, p => p.Key))
                {
                    var rss = group.Sum(Pss);
                    peakRss[group.Key] = Math.Max(peakRss.GetValueOrDefault(group.Key), rss);
                }
                await Task.Delay(SampleInterval, token);
            }
        }
        catch (OperationCanceledException)
        {
            // The window ended.
        }
    }

    private bool IsTagged(ProcessStat process)
    {
        var key = (process.Pid, process.StartTime);
        if (!tagged.TryGetValue(key, out var isTagged))
        {
            tagged[key] = isTagged = Environ(process.Pid).Contains($"\0SHOP_PROCESS_TAG={processTag}\0", StringComparison.Ordinal);
        }
        return isTagged;
    }

    private static string Environ(int pid)
    {
        try
        {
            return "\0" + Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/environ"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>Proportional resident memory in bytes, or 0 for a process that has ended.</summary>
    private static long Pss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
            {
                if (line.StartsWith("Pss:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Ended between the listing and the read.
        }
        return 0;
    }

    /// <summary>Every process on the machine now.</summary>
    public static Dictionary<int, ProcessStat> Processes()
    {
        var processes = new Dictionary<int, ProcessStat>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), out var pid) && Read(pid) is { } process)
            {
                processes[pid] = process;
            }
        }
        return processes;
    }

    private static ProcessStat? Read(int pid)
    {
        try
        {
            return Parse(pid, File.ReadAllText($"/proc/{pid}/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Reads one /proc/&lt;pid&gt;/stat line; the command may hold spaces and parentheses, so fields count from its last ')'.</summary>
    public static ProcessStat Parse(int pid, string stat)
    {
        var open = stat.IndexOf('(');
        var close = stat.LastIndexOf(')');
        var fields = stat[(close + 2)..].Split(' ');
        long Field(int index) => long.Parse(fields[index], CultureInfo.InvariantCulture);
        // fields[0] is the state (stat field 3): ppid is field 4, utime..cstime 14-17, starttime 22.
        return new ProcessStat(pid, (int)Field(1), stat[(open + 1)..close], Field(19), Field(11) + Field(12), Field(13) + Field(14));
    }

    /// <summary>The machine's ticks since boot over all cores, and the busy part of them (all but idle and iowait).</summary>
    private static (long Total, long Busy) Machine()
    {
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // user nice system idle iowait irq softirq steal (guest time is already in user and nice).
        var ticks = cpu.Skip(1).Take(8).Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var total = ticks.Sum();
        return (total, total - ticks[3] - ticks[4]);
    }
}
