using System.Diagnostics;

namespace Shop.LoadTest;

public enum RequestKind { Join, Status, Catalog, ProductPage, CartAdd, Order, OrderStatus }

/// <summary>One answered (or failed) request: when it started, since the run began; status 0 means no answer.</summary>
public readonly record struct Sample(RequestKind Kind, float StartedAt, float LatencyMs, short Status, short Instance);

/// <summary>A reading of the sale's stats, once a second.</summary>
public sealed record QueueReading(double At, long Waiting, long Active, long Admitted, long Abandoned, double EffectiveAdmissionsPerMinute);

/// <summary>Everything the shoppers saw, kept raw so the report can cut it any way (by second, by kind, by instance).</summary>
public sealed class Recorder
{
    private readonly long start = Stopwatch.GetTimestamp();
    private readonly Lock gate = new();
    private readonly List<Sample> samples = new(1 << 16);
    private readonly List<QueueReading> queue = [];
    private readonly List<string> instances = [];
    private readonly List<(double At, string Status)> settled = [];
    private readonly List<double> timesInQueue = [];
    private readonly Dictionary<string, long> orderRefusals = [];

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public double Now => Stopwatch.GetElapsedTime(start).TotalSeconds;

    public void Record(RequestKind kind, double startedAt, double latencyMs, int status, string? servedBy)
    {
        lock (gate)
        {
            samples.Add(new Sample(kind, (float)startedAt, (float)latencyMs, (short)status, InstanceIndex(servedBy)));
        }
    }

    public void Queue(QueueReading reading)
    {
        lock (gate)
        {
            queue.Add(reading);
        }
    }

    public void Settled(string status)
    {
        lock (gate)
        {
            settled.Add((Now, status));
        }
    }

    /// <summary>An order the shop refused outright (4xx), by the reason its problem document gave.</summary>
    public void OrderRefused(string reason)
    {
        lock (gate)
        {
            orderRefusals[reason] = orderRefusals.GetValueOrDefault(reason) + 1;
        }
    }

    public void TimeInQueue(double seconds)
    {
        lock (gate)
        {
            timesInQueue.Add(seconds);
        }
    }

    public RecordedRun Snapshot()
    {
        lock (gate)
        {
            return new RecordedRun([.. samples], [.. queue], [.. instances], [.. settled], [.. timesInQueue], new Dictionary<string, long>(orderRefusals));
        }
    }

    private short InstanceIndex(string? servedBy)
    {
        if (servedBy is null)
        {
            return -1;
        }
        var index = instances.IndexOf(servedBy);
        if (index < 0)
        {
            instances.Add(servedBy);
            index = instances.Count - 1;
        }
        return (short)index;
    }
}

public sealed record RecordedRun(
    IReadOnlyList<Sample> Samples,
    IReadOnlyList<QueueReading> Queue,
    IReadOnlyList<string> Instances,
    IReadOnlyList<(double At, string Status)> Settled,
    IReadOnlyList<double> TimesInQueue,
    IReadOnlyDictionary<string, long> OrderRefusals);
