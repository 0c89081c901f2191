using System.Diagnostics;
using StackExchange.Redis;

namespace Shop.ServiceDefaults.Redis;

/// <summary>
/// The one rule for "a call to Redis failed", which every caller that tolerates Redis asks instead of listing exception
/// types itself. Besides the client's own exceptions and timeouts it covers what StackExchange.Redis lets escape while
/// it tears down a connection under overload: an <see cref="InvalidOperationException"/> from its socket's pipe
/// ("Reading is not allowed after reader was completed"), which otherwise reached shoppers as a 500.
/// </summary>
public static class RedisFailure
{
    private static readonly System.Reflection.Assembly Client = typeof(IConnectionMultiplexer).Assembly;

    /// <summary>Whether <paramref name="e"/> (or what it wraps) is a failed call to Redis, a script's own error included.</summary>
    public static bool Is(Exception e) => e switch
    {
        RedisException or TimeoutException => true,
        InvalidOperationException when ThrownInsideClient(e) => true,
        AggregateException { InnerExceptions: [var only] } => Is(only),
        _ => false,
    };

    /// <summary>Whether <paramref name="e"/> says Redis cannot be reached right now (not a script's own error).</summary>
    public static bool IsUnavailable(Exception e) => e switch
    {
        RedisConnectionException or RedisTimeoutException or TimeoutException => true,
        InvalidOperationException when ThrownInsideClient(e) => true,
        AggregateException { InnerExceptions: [var only] } => IsUnavailable(only),
        _ => false,
    };

    private static bool ThrownInsideClient(Exception e) =>
        new StackTrace(e, fNeedFileInfo: false).GetFrames().Any(frame => frame.GetMethod()?.DeclaringType?.Assembly == Client);
}
