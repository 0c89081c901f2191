using StackExchange.Redis;

namespace Shop.ServiceDefaults.Redis;

/// <summary>
/// The shop's Redis client settings: a dead Redis costs a request milliseconds, not seconds. Commands fail at once
/// while disconnected (no connect abort, no backlog queue); the timeouts only cover a live but slow server, and each
/// caller picks them for what it can do instead (a cache miss can read Postgres, the waiting room has no substitute).
/// </summary>
public static class FailFastRedis
{
    /// <param name="asyncTimeoutMs">How long a command waits for a live but slow server.</param>
    /// <param name="connectTimeoutMs">How long a (re)connect waits; the client's default when null.</param>
    /// <param name="syncTimeoutMs">The same for synchronous commands; the client's default when null.</param>
    public static Action<ConfigurationOptions> Options(int asyncTimeoutMs, int? connectTimeoutMs = null, int? syncTimeoutMs = null) => options =>
    {
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.AsyncTimeout = asyncTimeoutMs;
        if (connectTimeoutMs is { } connect)
        {
            options.ConnectTimeout = connect;
        }
        if (syncTimeoutMs is { } sync)
        {
            options.SyncTimeout = sync;
        }
    };
}
