using Shop.AppHost.Infrastructure;

namespace Shop.AppHost.Local;

/// <summary>
/// The infrastructure as processes from this machine's own packages, for machines without a container runtime.
/// Same resource names and connection strings as the container mode.
/// </summary>
public static class LocalInfrastructure
{
    public static ShopInfrastructure AddLocalInfrastructure(
        this IDistributedApplicationBuilder builder, ShopSettings settings, ConnectionBudget budget, InfrastructurePasswords passwords)
    {
        var ports = settings.Ports;
        // Before the orchestrator starts anything: every server inherits it.
        PrivateFiles.RestrictNewFiles();
        EphemeralPorts.Reserve(settings);
        string Data(string name) => settings.DataPath(builder, name);

        var postgres = builder.AddLocalPostgres("postgres", ports.Postgres, budget.MaxConnections, passwords.Postgres,
            Data("postgres"), ShopInfrastructureExtensions.PrimaryConnectionName);
        var replica = builder.AddLocalPostgresReplica("postgres-replica", ports.PostgresReplica, budget.MaxConnections, postgres, ports.Postgres,
            passwords.Postgres, Data("postgres-replica"), ShopInfrastructureExtensions.PrimaryConnectionName);
        ServiceConnection primary = new(postgres, ShopInfrastructureExtensions.PrimaryConnectionName);
        var pooledPrimary = budget.PgBouncer is { } bouncer
            ? new ServiceConnection(builder.AddLocalPgBouncer("pgbouncer", ports.PgBouncer, bouncer, postgres, ports.Postgres,
                passwords.Postgres, Data("pgbouncer"), ShopInfrastructureExtensions.PrimaryConnectionName), primary.Name)
            : primary;
        var redis = builder.AddLocalRedis("redis", ports.Redis, passwords.Redis, Data("redis"),
            settings.Redis.StateMaxMemoryMb, LocalRedis.Eviction.Never);
        var cache = builder.AddLocalRedis("cache", ports.RedisCache, passwords.Redis, Data("cache"),
            settings.Redis.CacheMaxMemoryMb, LocalRedis.Eviction.LeastRecentlyUsed);
        var rabbitmq = builder.AddLocalRabbitMQ("rabbitmq", ports.RabbitMQ, ports.RabbitMQManagement,
            ports.RabbitMQDistribution, ports.RabbitMQEpmd, passwords.RabbitMQ, Data("rabbitmq"));
        var blobs = builder.AddLocalAzurite("blobs", ports.Blobs, Data("blobs"), settings.RepositoryRoot(builder));

        builder.ReapLeftovers(Data(""));

        return new ShopInfrastructure(
            Primary: pooledPrimary,
            PrimaryDirect: primary,
            Replica: new(replica, ShopInfrastructureExtensions.ReplicaConnectionName),
            Redis: new(redis, "redis"),
            Cache: new(cache, "cache"),
            RabbitMQ: new(rabbitmq, "rabbitmq"),
            Blobs: new(blobs, "blobs"),
            EdgeUpstreams: new("127.0.0.1"));
    }
}
