using Shop.ServiceDefaults.Logging;
using Shop.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Shop.UnitTests.ServiceDefaults;

/// <summary>A slow Redis is tolerated: a few failures in a row, not one, mark it down, and a probe brings it back.</summary>
public sealed class RedisToleranceTests
{
    private static Task<int> Slow() => Task.FromException<int>(new RedisTimeoutException("Timeout awaiting response", CommandStatus.Sent));

    [Fact]
    public async Task Failures_with_answers_between_them_never_mark_redis_down()
    {
        var tolerance = new RedisTolerance();

        for (var i = 0; i < 10; i++)
        {
            for (var failure = 1; failure < RedisTolerance.FailuresBeforeDown; failure++)
            {
                await Assert.ThrowsAsync<RedisTimeoutException>(() => tolerance.RunAsync(Slow));
            }
            Assert.Equal(1, await tolerance.RunAsync(() => Task.FromResult(1)));
        }

        Assert.False(tolerance.IsDown);
    }

    [Fact]
    public async Task Failures_in_a_row_mark_it_down_then_calls_are_skipped_until_a_probe_gets_an_answer()
    {
        var tolerance = new RedisTolerance();
        for (var failure = 0; failure < RedisTolerance.FailuresBeforeDown; failure++)
        {
            await Assert.ThrowsAsync<RedisTimeoutException>(() => tolerance.RunAsync(Slow));
        }
        Assert.True(tolerance.IsDown);

        var calls = 0;
        var skipped = await Assert.ThrowsAsync<RedisConnectionException>(() => tolerance.RunAsync(() => Task.FromResult(++calls)));
        Assert.Contains("treated as down", skipped.Message);
        Assert.Equal(0, calls);

        // One probe per interval goes through; its answer ends the outage.
        await Poll.UntilAsync(async () =>
        {
            try
            {
                await tolerance.RunAsync(() => Task.FromResult(++calls));
                return true;
            }
            catch (RedisConnectionException)
            {
                return false;
            }
        }, "the probe to be let through", TimeSpan.FromSeconds(5));
        Assert.Equal(1, calls);
        Assert.False(tolerance.IsDown);
    }

    [Fact]
    public async Task A_scripts_own_error_says_nothing_about_redis_health()
    {
        var tolerance = new RedisTolerance();

        for (var i = 0; i < 2 * RedisTolerance.FailuresBeforeDown; i++)
        {
            await Assert.ThrowsAsync<RedisServerException>(() => tolerance.RunAsync(() => Task.FromException<int>(new RedisServerException("ERR bad script"))));
        }

        Assert.False(tolerance.IsDown);
    }

    [Fact]
    public async Task A_rate_limited_warning_goes_out_once_per_interval_and_counts_what_it_held_back()
    {
        var warning = new RateLimitedWarning(TimeSpan.FromMilliseconds(300));

        Assert.True(warning.ShouldWarn(out var first));
        var warned = Enumerable.Range(0, 99).Count(_ => warning.ShouldWarn(out var _));
        long heldBack = 99, next = 0;
        await Poll.UntilAsync(() =>
        {
            if (warning.ShouldWarn(out next))
            {
                return true;
            }
            heldBack++;
            return false;
        }, "the next interval's warning", TimeSpan.FromSeconds(5));

        Assert.Equal(0, first);
        Assert.Equal(0, warned);
        Assert.Equal(heldBack, next);
    }
}
