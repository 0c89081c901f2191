using Shop.AppHost.Infrastructure;

namespace Shop.AppHost.Local;

/// <summary>
/// The infrastructure as processes from this machine's own packages, for machines without a container runtime.
/// Same resource names and connection strings as the container mode.
/// </summary>
public static class LocalInfrastructure
{
    public static ShopInfrastructure AddLocalInfrastructure(
        this IDistributedApplicationBuilder builder, ShopSettings settings, InfrastructurePasswords passwords)
    {
        var ports = settings.Ports;
        string Data(string name) => settings.DataPath(builder, name);

        var postgres = builder.AddLocalPostgres("postgres", ports.Postgres, passwords.Postgres,
            Data("postgres"), ShopInfrastructureExtensions.PrimaryConnectionName);
        var replica = builder.AddLocalPostgresReplica("postgres-replica", ports.PostgresReplica, postgres, ports.Postgres,
            passwords.Postgres, Data("postgres-replica"), ShopInfrastructureExtensions.PrimaryConnectionName);
        var redis = builder.AddLocalRedis("redis", ports.Redis, passwords.Redis, Data("redis"));
        var rabbitmq = builder.AddLocalRabbitMQ("rabbitmq", ports.RabbitMQ, ports.RabbitMQManagement,
            ports.RabbitMQDistribution, ports.RabbitMQEpmd, passwords.RabbitMQ, Data("rabbitmq"));
        var blobs = builder.AddLocalAzurite("blobs", ports.Blobs, Data("blobs"), settings.RepositoryRoot(builder));

        builder.ReapLeftovers(Data(""));

        return new ShopInfrastructure(
            Primary: new(postgres, ShopInfrastructureExtensions.PrimaryConnectionName),
            Replica: new(replica, ShopInfrastructureExtensions.ReplicaConnectionName),
            Redis: new(redis, "redis"),
            RabbitMQ: new(rabbitmq, "rabbitmq"),
            Blobs: new(blobs, "blobs"),
            EdgeUpstreams: new("127.0.0.1"));
    }
}
