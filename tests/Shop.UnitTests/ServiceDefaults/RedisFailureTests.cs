using Shop.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Shop.UnitTests.ServiceDefaults;

/// <summary>The one rule for "a call to Redis failed", which every Redis-tolerant caller asks.</summary>
public sealed class RedisFailureTests
{
    [Fact]
    public void The_clients_exceptions_and_timeouts_are_redis_failures_and_only_connection_trouble_says_unavailable()
    {
        Exception timeout = new RedisTimeoutException("Timeout awaiting response", CommandStatus.Sent);
        Exception refused = new RedisConnectionException(ConnectionFailureType.UnableToConnect, "refused");
        Exception scriptError = new RedisServerException("ERR script");

        Assert.All(new[] { timeout, refused, scriptError, new TimeoutException() }, e => Assert.True(RedisFailure.Is(e)));
        Assert.True(RedisFailure.IsUnavailable(timeout));
        Assert.True(RedisFailure.IsUnavailable(refused));
        Assert.False(RedisFailure.IsUnavailable(scriptError)); // Redis answered: the script is wrong, not the store
        Assert.True(RedisFailure.Is(new AggregateException(timeout)));
        Assert.True(RedisFailure.IsUnavailable(new AggregateException(refused)));
    }

    [Fact]
    public void An_invalid_operation_of_the_shops_own_code_is_a_bug_not_a_redis_failure()
    {
        var own = Assert.Throws<InvalidOperationException>(() => Throw());
        Assert.False(RedisFailure.Is(own));
        Assert.False(RedisFailure.IsUnavailable(own));
        Assert.False(RedisFailure.Is(new ArgumentException("bad")));

        static void Throw() => throw new InvalidOperationException("Reading is not allowed after reader was completed.");
    }
}
