using Microsoft.Extensions.Logging;
using Shop.ServiceDefaults.Security;
using StackExchange.Redis;

namespace Shop.UnitTests.ServiceDefaults;

/// <summary>With Redis unreachable the limiter lets attempts through, and says so once per interval instead of once per attempt.</summary>
public sealed class SharedRateLimiterTests
{
    [Fact]
    public async Task Without_Redis_every_attempt_goes_through_and_a_burst_of_them_is_one_warning()
    {
        // Nothing listens on port 1: the same refusals as a stopped Redis, answered at once.
        var options = new ConfigurationOptions { EndPoints = { "127.0.0.1:1" }, AbortOnConnectFail = false, BacklogPolicy = BacklogPolicy.FailFast, ConnectTimeout = 500 };
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var logger = new WarningLog();
        var limiter = new SharedRateLimiter(redis, logger);

        for (var attempt = 0; attempt < 200; attempt++)
        {
            Assert.Null(await limiter.AcquireAsync("orders", "203.0.113.9", RateLimit.PerMinute(1)));
        }

        var warning = Assert.Single(logger.Warnings);
        Assert.Contains("not checked for 1 attempt(s)", warning);
    }

    private sealed class WarningLog : ILogger<SharedRateLimiter>
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Warnings.Add(formatter(state, exception));
            }
        }
    }
}
