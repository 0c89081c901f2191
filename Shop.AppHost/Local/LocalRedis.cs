using StackExchange.Redis;

namespace Shop.AppHost.Local;

/// <summary>Redis from Debian's package, as its service user, with append-only persistence in the data folder.</summary>
public static class LocalRedis
{
    private static readonly ServiceUser Redis = new("redis");

    /// <summary>
    /// Stated rather than left to redis-server's defaults. Carts, waiting-room tickets and the Data Protection key ring
    /// live here, so writes go to the append-only file and reach the disk every second (at most a second lost in a
    /// crash). No periodic snapshots besides: each one forks the whole server, a pause and a copy of its memory at peak
    /// load, for a second copy of what the append-only file already holds. The services hold long-lived multiplexed connections: idle clients are
    /// never dropped (timeout 0), and TCP keepalive finds a vanished client within a minute or two instead of hours.
    /// Memory limits and eviction differ per server (<see cref="Eviction"/>): they are set where each is added.
    /// </summary>
    public const string Settings = """
        appendonly yes
        appendfsync everysec
        save ""
        timeout 0
        tcp-keepalive 60
        """;

    /// <summary>What a full server does, by what it holds.</summary>
    public static class Eviction
    {
        /// <summary>State that must never go (waiting room, limits, key rings): writes are refused at the limit, nothing is evicted.</summary>
        public const string Never = "noeviction";

        /// <summary>A cache and carts: the least recently used keys go to make room, whether they have an expiry or not.</summary>
        public const string LeastRecentlyUsed = "allkeys-lru";
    }

    /// <param name="maxMemoryMb">The server's <c>maxmemory</c>, in megabytes.</param>
    /// <param name="evictionPolicy">Its <c>maxmemory-policy</c>: one of <see cref="Eviction"/>.</param>
    public static IResourceBuilder<LocalServerResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, string name, int port,
        IResourceBuilder<ParameterResource> password, string dataDirectory, int maxMemoryMb, string evictionPolicy)
    {
        var configFile = Path.Combine(dataDirectory, "redis.conf");
        var (command, arguments) = Redis.Command("/usr/bin/redis-server", configFile);
        var redis = new LocalServerResource(name, command, dataDirectory)
        {
            ConnectionStringExpression = ReferenceExpression.Create($"127.0.0.1:{port.ToString()},password={password}"),
        };

        return builder.AddResource(redis)
            .WithArgs(arguments)
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: "tcp", isProxied: false)
            .OnBeforeResourceStarted(async (_, _, cancellationToken) =>
            {
                await PrivateFiles.MakePrivateAsync(dataDirectory);
                // Written on every start (not passed as arguments) so the password stays out of the process list; the
                // file, the append-only file and the snapshots (carts, tickets, key rings) are Redis's user's alone.
                await PrivateFiles.WriteAsync(configFile, $$"""
                    bind 127.0.0.1
                    port {{port}}
                    protected-mode yes
                    daemonize no
                    logfile ""
                    dir {{dataDirectory}}
                    {{Settings}}
                    maxmemory {{maxMemoryMb}}mb
                    maxmemory-policy {{evictionPolicy}}
                    requirepass {{await password.Resource.GetValueAsync(cancellationToken)}}
                    """, cancellationToken);
                await LocalProcessExtensions.EnsureOwnedDirectoryAsync(dataDirectory, Redis.Name);
            })
            .WithReadinessProbe(async cancellationToken =>
            {
                var options = ConfigurationOptions.Parse((await ((IResourceWithConnectionString)redis).GetConnectionStringAsync(cancellationToken))!);
                options.AbortOnConnectFail = true;
                options.ConnectTimeout = 2000;
                await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
                await connection.GetDatabase().PingAsync();
            });
    }
}
