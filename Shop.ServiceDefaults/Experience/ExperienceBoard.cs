using StackExchange.Redis;

namespace Shop.ServiceDefaults.Experience;

/// <summary>One instance's last published window: which service it belongs to and what its shoppers saw.</summary>
public sealed record InstanceExperience(string Service, string Instance, ExperienceReport Report);

/// <summary>
/// Where the instances post their <see cref="RequestWindow"/> in Redis: a hash per instance that expires when the
/// instance stops posting, and a sorted set of who posted when, so a reader finds them all without scanning keys.
/// </summary>
public sealed class ExperienceBoard(IConnectionMultiplexer redis, TimeProvider clock)
{
    public static readonly TimeSpan PublishInterval = TimeSpan.FromSeconds(2);

    /// <summary>An instance that has not posted for this long (stopped, or cut off from Redis) no longer counts.</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);

    private static readonly RedisKey Index = "shop:experience:instances";

    private static RedisKey Key(string instance) => $"shop:experience:{instance}";

    public async Task PublishAsync(string service, string instance, ExperienceReport report)
    {
        var db = redis.GetDatabase();
        var batch = db.CreateBatch();
        var writes = new Task[]
        {
            batch.HashSetAsync(Key(instance), [new("service", service), new("buckets", report.FormatBuckets()), new("errors", report.Errors)]),
            batch.KeyExpireAsync(Key(instance), Ttl, CommandFlags.None),
            batch.SortedSetAddAsync(Index, instance, clock.GetUtcNow().ToUnixTimeMilliseconds(), CommandFlags.None),
            batch.KeyExpireAsync(Index, Ttl, CommandFlags.None),
        };
        batch.Execute();
        await Task.WhenAll(writes);
    }

    public async Task<IReadOnlyList<InstanceExperience>> ReadAsync()
    {
        var db = redis.GetDatabase();
        await db.SortedSetRemoveRangeByScoreAsync(Index, double.NegativeInfinity, (clock.GetUtcNow() - Ttl).ToUnixTimeMilliseconds());
        var instances = (await db.SortedSetRangeByRankAsync(Index)).Select(i => (string)i!).ToList();
        var batch = db.CreateBatch();
        var reads = instances.Select(i => batch.HashGetAsync(Key(i), ["service", "buckets", "errors"])).ToList();
        batch.Execute();
        var posted = new List<InstanceExperience>();
        for (var i = 0; i < instances.Count; i++)
        {
            var fields = await reads[i];
            if (fields[0].HasValue && ExperienceReport.Parse(fields[1], (long?)fields[2] ?? 0) is { } report)
            {
                posted.Add(new InstanceExperience(fields[0]!, instances[i], report));
            }
        }
        return posted;
    }
}
