namespace Shop.ServiceDefaults.Redis;

/// <summary>
/// The shop's two Redis servers, by connection name. <see cref="State"/> holds what must never be evicted (waiting
/// room, rate-limit counts, Data Protection key rings) and refuses writes when full; <see cref="Cache"/> holds what may be
/// evicted when full (the catalog's second cache level, carts), least recently used first.
/// </summary>
public static class RedisStores
{
    public const string State = "redis";

    /// <summary>Also the key of its <c>IConnectionMultiplexer</c> in the services that use it (a keyed service).</summary>
    public const string Cache = "cache";
}
