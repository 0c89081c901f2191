using System.ComponentModel.DataAnnotations;

namespace Shop.AppHost.Infrastructure;

public enum InfrastructureMode
{
    /// <summary>Containers when <c>docker info</c> or <c>podman info</c> answers, local processes otherwise.</summary>
    Auto,
    Containers,
    Local,
}

/// <summary>The <c>Shop</c> configuration section: how the AppHost lays the shop out on this machine.</summary>
public sealed class ShopSettings
{
    public const string SectionName = "Shop";

    public InfrastructureMode Infrastructure { get; set; } = InfrastructureMode.Auto;

    /// <summary>Where local processes keep their data, relative to the repository root. Git-ignored; survives restarts.</summary>
    [Required]
    public string DataDirectory { get; set; } = ".data/run";

    [Range(1, 16)]
    public int ApiReplicas { get; set; } = 3;

    /// <summary>Order worker instances; they compete for the one queue and are safe side by side.</summary>
    [Range(1, 16)]
    public int OrderWorkers { get; set; } = 2;

    [Required]
    public ShopPorts Ports { get; set; } = new();

    [Required]
    public WaitingRoomSettings WaitingRoom { get; set; } = new();

    [Required]
    public DatabaseSettings Database { get; set; } = new();

    [Required]
    public RateLimitSettings RateLimits { get; set; } = new();

    [Required]
    public EdgeSettings Edge { get; set; } = new();
    public RedisSettings Redis { get; set; } = new();
}

/// <summary>How the edge treats plain http.</summary>
public sealed class EdgeSettings
{
    /// <summary>
    /// Every http request is redirected to https (308), and browsers then keep to https (HSTS, sent on every https
    /// answer). Off locally, where http://localhost:8080 is the everyday address; on in production. Admin calls over
    /// http are refused either way.
    /// </summary>
    public bool RedirectHttpToHttps { get; set; }
}

/// <summary>
/// Memory limits of the two Redis servers. <c>redis</c> holds what must never be evicted (waiting room, rate-limit
/// counts, Data Protection key rings): <c>noeviction</c>, so at its limit writes are refused (a join answers 503, a
/// limited request 429) and nothing is lost. <c>cache</c> holds what may go (catalog cache, carts): <c>allkeys-lru</c>.
/// </summary>
public sealed class RedisSettings
{
    /// <summary>The protected store. A sale of 60,000 waiters takes a few tens of MB; counters are a few hundred bytes per client.</summary>
    [Range(16, 1_048_576)] public int StateMaxMemoryMb { get; set; } = 512;

    /// <summary>The evictable store: catalog entries (5,000 products, a few MB) and carts (under a kilobyte each).</summary>
    [Range(16, 1_048_576)] public int CacheMaxMemoryMb { get; set; } = 256;
}

/// <summary>Per-minute limits counted in Redis, so all instances of a service share one count (joins: <see cref="WaitingRoomSettings"/>).</summary>
public sealed class RateLimitSettings
{
    /// <summary>
    /// Orders per client address, at the API and at the storefront's checkout alike (one count). Generous: the load
    /// test puts up to 60 shoppers on one address, each ordering once and retrying on 5xx.
    /// </summary>
    [Range(1, 1_000_000)] public int OrdersPerMinute { get; set; } = 120;

    /// <summary>New storefront carts per client address (an IPv6 /64 counts as one): each is a Redis key an anonymous request makes.</summary>
    [Range(1, 1_000_000)] public int NewCartsPerMinute { get; set; } = 120;

    /// <summary>Staff sign-in attempts per client address.</summary>
    [Range(1, 100_000)] public int LoginsPerAddressPerMinute { get; set; } = 20;

    /// <summary>
    /// Wrong staff passwords for one account from one address (per 15 minutes) before that address is refused for that
    /// account; other addresses still sign in, and wrong passwords from anywhere slow the account's sign-ins instead.
    /// </summary>
    [Range(1, 10_000)] public int LoginFailuresPerAccountAndAddress { get; set; } = 5;
}

/// <summary>Postgres connection limits; <see cref="ConnectionBudget"/> sizes every service's pool from them.</summary>
public sealed class DatabaseSettings
{
    /// <summary>
    /// Postgres <c>max_connections</c> on the primary and the replica. A hot standby refuses to start below the value
    /// its primary had when it was cloned, so lowering this on an existing data folder needs <c>./shop reset</c>;
    /// the default stays what clusters made before the budget were started with.
    /// </summary>
    [Range(20, 10_000)] public int MaxConnections { get; set; } = 300;

    /// <summary>Services reach the primary through PgBouncer in transaction pooling mode; migrations still connect directly.</summary>
    public bool PgBouncer { get; set; }

    /// <summary>
    /// With PgBouncer: the pool each service instance keeps to PgBouncer; PgBouncer's server pool is what the budget caps.
    /// About the server pool: more clients would only queue in PgBouncer instead of in Npgsql, and each costs a login.
    /// </summary>
    [Range(1, 1000)] public int ClientPoolSize { get; set; } = 30;
}

/// <summary>Waiting-room knobs the AppHost hands every API instance (as <c>WaitingRoom__*</c>); sales set the rest.</summary>
public sealed class WaitingRoomSettings
{
    /// <summary>
    /// New joins per client IP per window, across all instances: 60 per 10 s lets a shared address (an office, a
    /// carrier's NAT) of a few hundred shoppers arriving over a minute in, and holds a flood from one address to 6 a second.
    /// </summary>
    [Range(1, 1_000_000)] public int JoinLimit { get; set; } = 60;
    [Range(1, 3600)] public int JoinLimitWindowSeconds { get; set; } = 10;
    /// <summary>Order messages waiting above which admission slows down.</summary>
    [Range(1, 10_000_000)] public int BacklogThreshold { get; set; } = 2000;
}

/// <summary>Fixed ports, so a person can bookmark them and tests can move all of them out of the way at once.</summary>
public sealed class ShopPorts
{
    [Range(1, 65535)] public int EdgeHttp { get; set; } = 8080;
    [Range(1, 65535)] public int EdgeHttps { get; set; } = 8443;
    /// <summary>The edge's https entrance to the staff reports.</summary>
    [Range(1, 65535)] public int StaffHttps { get; set; } = 8444;
    [Range(1, 65535)] public int Postgres { get; set; } = 55432;
    [Range(1, 65535)] public int PostgresReplica { get; set; } = 55433;
    [Range(1, 65535)] public int Redis { get; set; } = 56379;
    /// <summary>The second, evictable Redis (catalog cache and carts).</summary>
    [Range(1, 65535)] public int RedisCache { get; set; } = 56380;
    [Range(1, 65535)] public int RabbitMQ { get; set; } = 55672;
    [Range(1, 65535)] public int RabbitMQManagement { get; set; } = 55673;
    /// <summary>Erlang distribution and epmd ports of the private RabbitMQ node; the defaults (node port + 20000, 4369) collide or overflow.</summary>
    [Range(1, 65535)] public int RabbitMQDistribution { get; set; } = 55674;
    [Range(1, 65535)] public int RabbitMQEpmd { get; set; } = 55675;
    [Range(1, 65535)] public int Blobs { get; set; } = 10000;
    [Range(1, 65535)] public int PgBouncer { get; set; } = 56432;
    [Range(1, 65535)] public int Reporting { get; set; } = 8090;
    [Range(1, 65535)] public int Web { get; set; } = 5200;
    /// <summary>API instance i (1-based) listens on <c>ApiBase + i - 1</c>.</summary>
    [Range(1, 65535)] public int ApiBase { get; set; } = 5301;

    /// <summary>Every port the shop listens on: each setting above, and one per API instance after the first.</summary>
    public IReadOnlyList<int> Listening(int apiReplicas) =>
    [
        .. typeof(ShopPorts).GetProperties().Where(p => p.PropertyType == typeof(int)).Select(p => (int)p.GetValue(this)!),
        .. Enumerable.Range(ApiBase + 1, apiReplicas - 1),
    ];
}
