using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Shop.LoadTest;

/// <summary>
/// What a request was for. <see cref="Status"/>: a waiting shopper's call to the services (the heartbeat near the front,
/// the one at its turn); <see cref="QueuePoll"/>: its poll of the sale's shared queue resource through the edge.
/// </summary>
public enum RequestKind : byte { Join, Status, Catalog, ProductPage, CartAdd, Order, OrderStatus, QueuePoll }

/// <summary>
/// One answered (or failed) request: when it started, since the run began; status 0 means no answer.
/// <paramref name="FromEdgeCache"/>: the edge answered from its cache (X-Cache-Status HIT, STALE or UPDATING), the services never saw it.
/// </summary>
public readonly record struct Sample(RequestKind Kind, float StartedAt, float LatencyMs, short Status, short Instance, bool FromEdgeCache = false);

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
    private readonly List<float> clientQueueMs = [];
    private double waiterSeconds;
    private double? saleEndedAt;

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public double Now => Stopwatch.GetElapsedTime(start).TotalSeconds;

    public void Record(RequestKind kind, double startedAt, double latencyMs, int status, string? servedBy, bool fromEdgeCache = false)
    {
        lock (gate)
        {
            samples.Add(new Sample(kind, (float)startedAt, (float)latencyMs, (short)status, InstanceIndex(servedBy), fromEdgeCache));
        }
    }

    /// <summary>A shopper's time waiting after its join (until admitted, or until it gave up).</summary>
    public void Waited(double seconds)
    {
        lock (gate)
        {
            waiterSeconds += seconds;
        }
    }

    /// <summary>A request that waited inside this process for a free connection (System.Net.Http's time_in_queue).</summary>
    public void ClientQueued(double milliseconds)
    {
        if (QueuedHere.Value is { } request)
        {
            request.Value += milliseconds;
        }
        lock (gate)
        {
            clientQueueMs.Add((float)milliseconds);
        }
    }

    /// <summary>
    /// The milliseconds the request under way in this async flow has waited inside the generator so far: set before a
    /// send, it gathers the waits <see cref="ClientQueued"/> reports, which System.Net.Http records in the request's own
    /// flow, so they can be taken out of the shop's latency.
    /// </summary>
    public static readonly AsyncLocal<StrongBox<double>?> QueuedHere = new();

    /// <summary>The sale is over: every shopper is done or gave up; what follows is the order drain.</summary>
    public void SaleEnded()
    {
        lock (gate)
        {
            saleEndedAt ??= Now;
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
            return new RecordedRun([.. samples], [.. queue], [.. instances], [.. settled], [.. timesInQueue], new Dictionary<string, long>(orderRefusals))
            {
                WaiterSeconds = waiterSeconds,
                ClientQueueMs = [.. clientQueueMs],
                SaleEndedAt = saleEndedAt,
            };
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
    IReadOnlyDictionary<string, long> OrderRefusals)
{
    /// <summary>All shoppers' time waiting after their join, added up.</summary>
    public double WaiterSeconds { get; init; }

    /// <summary>Requests that queued inside the generator for a connection, and for how long (ms).</summary>
    public IReadOnlyList<float> ClientQueueMs { get; init; } = [];

    /// <summary>When the last shopper was done (or gave up): the order drain starts there. Null: not recorded.</summary>
    public double? SaleEndedAt { get; init; }
}
