using Shop.AppHost.Infrastructure;
using Shop.AppHost.Local;

namespace Shop.AppHost.Containers;

/// <summary>The infrastructure as containers, for machines where Docker or Podman answers.</summary>
public static class ContainerInfrastructure
{
    public const string PostgresImage = "docker.io/library/postgres";
    public const string PostgresTag = "17.6";
    public const string AzuriteImage = "mcr.microsoft.com/azure-storage/azurite";
    public const string AzuriteTag = "3.35.0";

    public static ShopInfrastructure AddContainerInfrastructure(
        this IDistributedApplicationBuilder builder, ShopSettings settings, InfrastructurePasswords passwords)
    {
        if (settings.Database.PgBouncer)
        {
            // Not built: no container runtime on the machines this is developed on to prove a PgBouncer image works.
            throw new InvalidOperationException(
                $"{ShopSettings.SectionName}:Database:PgBouncer=true runs PgBouncer as a local process only; use {ShopSettings.SectionName}:Infrastructure=Local, or turn it off in Containers mode.");
        }
        var ports = settings.Ports;
        var maxConnections = settings.Database.MaxConnections.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var postgres = builder.AddPostgres(InfrastructureNames.Postgres, password: passwords.Postgres, port: ports.Postgres)
            .WithImage(PostgresImage, PostgresTag)
            .WithDataVolume("shop-postgres")
            .WithArgs("-c", "wal_level=replica", "-c", "max_wal_senders=10", "-c", $"max_connections={maxConnections}");
        var shopdb = postgres.AddDatabase(ShopInfrastructureExtensions.PrimaryConnectionName);
        var replica = builder.AddPostgresReplicaContainer(InfrastructureNames.PostgresReplica, ports.PostgresReplica, postgres, passwords.Postgres, maxConnections);

        var redis = builder.AddRedis(InfrastructureNames.Redis, port: ports.Redis, password: passwords.Redis)
            .WithDataVolume("shop-redis")
            .WithMemoryLimit(settings.Redis.StateMaxMemoryMb, LocalRedis.Eviction.Never);
        var cache = builder.AddRedis(InfrastructureNames.Cache, port: ports.RedisCache, password: passwords.Redis)
            .WithDataVolume("shop-redis-cache")
            .WithMemoryLimit(settings.Redis.CacheMaxMemoryMb, LocalRedis.Eviction.LeastRecentlyUsed);

        var rabbitmq = builder.AddRabbitMQ(InfrastructureNames.RabbitMQ, password: passwords.RabbitMQ, port: ports.RabbitMQ)
            .WithManagementPlugin(port: ports.RabbitMQManagement)
            .WithDataVolume("shop-rabbitmq");

        var blobs = builder.AddAzuriteBlobContainer(InfrastructureNames.Blobs, ports.Blobs);

        return new ShopInfrastructure(
            Primary: new(shopdb, ShopInfrastructureExtensions.PrimaryConnectionName),
            PrimaryDirect: new(shopdb, ShopInfrastructureExtensions.PrimaryConnectionName),
            Replica: new(replica, ShopInfrastructureExtensions.ReplicaConnectionName),
            Redis: new(redis, InfrastructureNames.Redis),
            Cache: new(cache, InfrastructureNames.Cache),
            RabbitMQ: new(rabbitmq, InfrastructureNames.RabbitMQ),
            Blobs: new(blobs, InfrastructureNames.Blobs),
            EdgeUpstreams: new("host.docker.internal"));
    }

    /// <summary>
    /// The same <c>maxmemory</c> and policy as the local server, after Aspire's own arguments. Run, Aspire passes
    /// <c>redis-server</c>'s arguments one by one; published, as one command string for <c>/bin/sh -c</c>, where further
    /// arguments would go to the shell, so there they are added to that string.
    /// </summary>
    private static IResourceBuilder<RedisResource> WithMemoryLimit(this IResourceBuilder<RedisResource> redis, int maxMemoryMb, string evictionPolicy) =>
        redis.WithArgs(context =>
        {
            string[] limit = ["--maxmemory", $"{maxMemoryMb}mb", "--maxmemory-policy", evictionPolicy];
            if (context.ExecutionContext.IsRunMode)
            {
                foreach (var arg in limit)
                {
                    context.Args.Add(arg);
                }
                return;
            }
            var command = context.Args.Count - 1;
            context.Args[command] = $"{context.Args[command]} {string.Join(' ', limit)}";
        });

    /// <summary>
    /// Same recipe as the local replica: <c>pg_basebackup -R</c> from the primary into an empty volume on first
    /// start, then a hot standby.
    /// </summary>
    private static IResourceBuilder<ConnectionStringContainerResource> AddPostgresReplicaContainer(
        this IDistributedApplicationBuilder builder, string name, int port,
        IResourceBuilder<PostgresServerResource> primary, IResourceBuilder<ParameterResource> password, string maxConnections)
    {
        var replica = new ConnectionStringContainerResource(name);
        var endpoint = replica.GetEndpoint("tcp");
        replica.ConnectionStringExpression = ReferenceExpression.Create(
            $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username=postgres;Password={password};Database={ShopInfrastructureExtensions.PrimaryConnectionName}");

        var primaryEndpoint = primary.GetEndpoint("tcp");
        return builder.AddResource(replica)
            .WithImage(PostgresImage, PostgresTag)
            .WithEndpoint(port: port, targetPort: 5432, scheme: "tcp", name: "tcp")
            .WithVolume("shop-postgres-replica", "/var/lib/postgresql/data")
            .WithEnvironment("PRIMARY_HOST", primaryEndpoint.Property(EndpointProperty.Host))
            .WithEnvironment("PRIMARY_PORT", primaryEndpoint.Property(EndpointProperty.TargetPort))
            .WithEnvironment("PGPASSWORD", password)
            // A hot standby refuses to run with a lower max_connections than its primary.
            .WithEnvironment("MAX_CONNECTIONS", maxConnections)
            .WithEntrypoint("bash")
            .WithArgs("-c", """
                set -e
                if [ ! -s /var/lib/postgresql/data/PG_VERSION ]; then
                  until pg_isready -h "$PRIMARY_HOST" -p "$PRIMARY_PORT"; do sleep 1; done
                  pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -D /var/lib/postgresql/data -R -X stream -c fast
                  chown -R postgres:postgres /var/lib/postgresql/data
                  chmod 700 /var/lib/postgresql/data
                fi
                exec gosu postgres postgres -D /var/lib/postgresql/data -c hot_standby=on -c hot_standby_feedback=on -c max_connections="$MAX_CONNECTIONS"
                """)
            .WaitFor(primary)
            .WithReadinessProbe(cancellationToken => ReadinessProbes.PostgresAsync(replica, cancellationToken));
    }

    private static IResourceBuilder<ConnectionStringContainerResource> AddAzuriteBlobContainer(
        this IDistributedApplicationBuilder builder, string name, int port)
    {
        var azurite = new ConnectionStringContainerResource(name)
        {
            ConnectionStringExpression = BlobStore.ConnectionString($"http://127.0.0.1:{port}"),
        };
        return builder.AddResource(azurite)
            .WithImage(AzuriteImage, AzuriteTag)
            .WithArgs("azurite-blob", "--blobHost", "0.0.0.0", "--blobPort", "10000", "--location", "/data",
                "--skipApiVersionCheck", "--loose")
            .WithVolume("shop-blobs", "/data")
            .WithHttpEndpoint(port: port, targetPort: 10000, name: "http")
            .WithBlobContainerReadiness(azurite);
    }
}

/// <summary>A container that hands services a connection string, like the built-in Postgres and Redis resources do.</summary>
public sealed class ConnectionStringContainerResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public ReferenceExpression ConnectionStringExpression { get; set; } = ReferenceExpression.Create($"");
}
