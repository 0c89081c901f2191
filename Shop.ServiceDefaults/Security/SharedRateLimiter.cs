using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Shop.ServiceDefaults.Logging;
using Shop.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Shop.ServiceDefaults.Security;

/// <summary>How many attempts one key (a client address, an account) may make per window.</summary>
public readonly record struct RateLimit(int PermitLimit, TimeSpan Window)
{
    public static RateLimit PerMinute(int permitLimit) => new(permitLimit, TimeSpan.FromMinutes(1));
}

/// <summary>
/// Fixed-window counts in Redis, one Lua call per attempt, so every instance of a service shares each count. With
/// Redis unreachable (or marked down, <see cref="RedisTolerance"/>) it lets the attempt through: a limit must not take
/// the shop down with Redis. A Redis that answers but is full (its <c>maxmemory</c>, with <c>noeviction</c>) refuses
/// the attempt instead: a full store is what a flood makes, and a flood must not switch the limits off.
/// </summary>
public sealed class SharedRateLimiter(IConnectionMultiplexer redis, ILogger<SharedRateLimiter> logger)
{
    /// <summary>During an outage every attempt fails the same way: one warning per interval says how many went unchecked.</summary>
    public static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);

    /// <summary>What a refusal asks for while Redis is full: long enough for counters to expire and free their memory.</summary>
    public static readonly TimeSpan FullRetryAfter = TimeSpan.FromSeconds(10);

    private readonly RateLimitedWarning uncheckedWarning = new(WarningInterval);
    private readonly RateLimitedWarning fullWarning = new(WarningInterval);
    // A slow Redis is asked as usual; after a few failures in a row attempts go unchecked at once, not after a timeout each.
    private readonly RedisTolerance tolerance = new();

    // KEYS: the counter. ARGV: window ms, limit. Returns 0 when allowed, else the ms until the window ends.
    private const string Script = """
        local n = redis.call('INCR', KEYS[1])
        if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        if n > tonumber(ARGV[2]) then return math.max(redis.call('PTTL', KEYS[1]), 1) end
        return 0
        """;

    /// <returns>Null when the attempt may go ahead; otherwise how long to wait.</returns>
    public async Task<TimeSpan?> AcquireAsync(string name, string partition, RateLimit limit)
    {
        try
        {
            var waitMs = (long)await tolerance.RunAsync(() => redis.GetDatabase().ScriptEvaluateAsync(Script,
                [$"ratelimit:{name}:{partition}"], [(long)limit.Window.TotalMilliseconds, limit.PermitLimit]));
            return waitMs > 0 ? TimeSpan.FromMilliseconds(waitMs) : null;
        }
        catch (RedisServerException e) when (IsOutOfMemory(e))
        {
            if (fullWarning.ShouldWarn(out var suppressed))
            {
                logger.LogWarning("Refused {Count} attempt(s), the last one {Name}: Redis is at its memory limit and counts nothing new", suppressed + 1, name);
            }
            return FullRetryAfter;
        }
        catch (Exception e) when (RedisFailure.Is(e))
        {
            WarnUnchecked(name, e);
            return null;
        }
    }

    /// <summary>
    /// Whether the partition has used up its window, without counting an attempt: for limits that count only failures
    /// (wrong keys), checked before the attempt is judged, so a blocked caller learns nothing from a guess.
    /// </summary>
    /// <returns>Null when attempts may go ahead; otherwise how long to wait.</returns>
    public async Task<TimeSpan?> PeekAsync(string name, string partition, RateLimit limit)
    {
        try
        {
            var key = new RedisKey($"ratelimit:{name}:{partition}");
            var (count, ttl) = await tolerance.RunAsync(async () =>
            {
                var database = redis.GetDatabase();
                var count = database.StringGetAsync(key);
                var ttl = database.KeyTimeToLiveAsync(key);
                return ((long?)await count, await ttl);
            });
            if (count is not { } used || used < limit.PermitLimit)
            {
                return null;
            }
            return ttl is { } left && left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
        }
        catch (Exception e) when (RedisFailure.Is(e))
        {
            WarnUnchecked(name, e);
            return null;
        }
    }

    /// <summary>Redis's answer to a write over <c>maxmemory</c> under <c>noeviction</c>, alone or inside a script's error.</summary>
    public static bool IsOutOfMemory(RedisServerException e) => e.Message.Contains("OOM command not allowed", StringComparison.Ordinal);

    private void WarnUnchecked(string name, Exception e)
    {
        if (uncheckedWarning.ShouldWarn(out var suppressed))
        {
            logger.LogWarning(e, "Rate limits not checked for {Count} attempt(s), the last one {Name}: Redis did not answer", suppressed + 1, name);
        }
    }

    /// <summary>Whole seconds for a <c>Retry-After</c> header, rounded up.</summary>
    public static string RetryAfterSeconds(TimeSpan wait) => ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static void SetRetryAfter(HttpResponse response, TimeSpan wait) => response.Headers.RetryAfter = RetryAfterSeconds(wait);
}
