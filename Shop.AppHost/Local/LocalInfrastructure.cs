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

        var postgres = builder.AddLocalPostgres(InfrastructureNames.Postgres, ports.Postgres, budget.MaxConnections, passwords.Postgres,
            Data(InfrastructureNames.Postgres), ShopInfrastructureExtensions.PrimaryConnectionName);
        var replica = builder.AddLocalPostgresReplica(InfrastructureNames.PostgresReplica, ports.PostgresReplica, budget.MaxConnections, postgres, ports.Postgres,
            passwords.Postgres, Data(InfrastructureNames.PostgresReplica), ShopInfrastructureExtensions.PrimaryConnectionName);
        ServiceConnection primary = new(postgres, ShopInfrastructureExtensions.PrimaryConnectionName);
        var pooledPrimary = budget.PgBouncer is { } bouncer
            ? new ServiceConnection(builder.AddLocalPgBouncer(InfrastructureNames.PgBouncer, ports.PgBouncer, bouncer, postgres, ports.Postgres,
                passwords.Postgres, Data(InfrastructureNames.PgBouncer), ShopInfrastructureExtensions.PrimaryConnectionName), primary.Name)
            : primary;
        var redis = builder.AddLocalRedis(InfrastructureNames.Redis, ports.Redis, passwords.Redis, Data(InfrastructureNames.Redis),
            settings.Redis.StateMaxMemoryMb, LocalRedis.Eviction.Never);
        var cache = builder.AddLocalRedis(InfrastructureNames.Cache, ports.RedisCache, passwords.Redis, Data(InfrastructureNames.Cache),
            settings.Redis.CacheMaxMemoryMb, LocalRedis.Eviction.LeastRecentlyUsed);
        var rabbitmq = builder.AddLocalRabbitMQ(InfrastructureNames.RabbitMQ, ports.RabbitMQ, ports.RabbitMQManagement,
            ports.RabbitMQDistribution, ports.RabbitMQEpmd, passwords.RabbitMQ, Data(InfrastructureNames.RabbitMQ));
        var blobs = builder.AddLocalAzurite(InfrastructureNames.Blobs, ports.Blobs, Data(InfrastructureNames.Blobs), settings.RepositoryRoot(builder));

        builder.ReapLeftovers(Data(""));

        return new ShopInfrastructure(
            Primary: pooledPrimary,
            PrimaryDirect: primary,
            Replica: new(replica, ShopInfrastructureExtensions.ReplicaConnectionName),
            Redis: new(redis, InfrastructureNames.Redis),
            Cache: new(cache, InfrastructureNames.Cache),
            RabbitMQ: new(rabbitmq, InfrastructureNames.RabbitMQ),
            Blobs: new(blobs, InfrastructureNames.Blobs),
            EdgeUpstreams: new("127.0.0.1"));
    }
}
