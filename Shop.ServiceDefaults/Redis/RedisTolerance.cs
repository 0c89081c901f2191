using StackExchange.Redis;

namespace Shop.ServiceDefaults.Redis;

/// <summary>
/// A slow Redis is tolerated: one timeout is a slow moment at a peak, not an outage, and the call after it is made as
/// usual. Only <see cref="FailuresBeforeDown"/> failures in a row (timeouts, lost connections) mark Redis down; then
/// callers skip it instead of each waiting out its timeout (the cart says so at once, the gate trusts the signature,
/// a rate limit lets the attempt through), and one call per <see cref="ProbeInterval"/> goes through to find out
/// whether it is back. Any call that succeeds ends it. A disconnected multiplexer fails at once anyway (FailFast).
/// </summary>
public sealed class RedisTolerance
{
    public const int FailuresBeforeDown = 3;
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    private int consecutiveFailures;
    private long nextProbeAt;

    /// <summary>Whether Redis is marked down (the last <see cref="FailuresBeforeDown"/> calls or more failed).</summary>
    public bool IsDown => Volatile.Read(ref consecutiveFailures) >= FailuresBeforeDown;

    /// <summary>Whether to make a call now: while Redis is up always; while it is down, once per <see cref="ProbeInterval"/>.</summary>
    public bool ShouldTry()
    {
        if (!IsDown)
        {
            return true;
        }
        var now = Environment.TickCount64;
        var next = Interlocked.Read(ref nextProbeAt);
        return now >= next && Interlocked.CompareExchange(ref nextProbeAt, now + (long)ProbeInterval.TotalMilliseconds, next) == next;
    }

    public void Succeeded() => Volatile.Write(ref consecutiveFailures, 0);

    public void Failed()
    {
        if (Interlocked.Increment(ref consecutiveFailures) == FailuresBeforeDown)
        {
            Interlocked.Exchange(ref nextProbeAt, Environment.TickCount64 + (long)ProbeInterval.TotalMilliseconds);
        }
    }

    /// <summary>A failure that says something about Redis's health (not a script's own error).</summary>
    public static bool IsUnavailable(Exception e) => RedisFailure.IsUnavailable(e);

    /// <summary>
    /// Runs <paramref name="call"/> and records how it went; while Redis is marked down (between probes) it is not
    /// made and a <see cref="RedisConnectionException"/> says why, as a call on a disconnected multiplexer would.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> call)
    {
        if (!ShouldTry())
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect,
                $"Redis is treated as down after {FailuresBeforeDown} failed calls in a row; it is asked again within {ProbeInterval.TotalSeconds:0.#} s.");
        }
        try
        {
            var result = await call();
            Succeeded();
            return result;
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            Failed();
            throw;
        }
    }

    public Task RunAsync(Func<Task> call) => RunAsync(async () =>
    {
        await call();
        return true;
    });
}
