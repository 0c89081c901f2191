using Shop.AppHost.Containers;
using Shop.AppHost.Local;

namespace Shop.AppHost.Infrastructure;

/// <summary>A connection a service receives: the resource behind it and the connection-string name the service asks for.</summary>
public sealed record ServiceConnection(IResourceBuilder<IResourceWithConnectionString> Resource, string Name);

/// <summary>The infrastructure every mode provides under the same names, so services are wired the same way in both.</summary>
public sealed record ShopInfrastructure(
    ServiceConnection Primary,
    ServiceConnection Replica,
    ServiceConnection Redis,
    ServiceConnection RabbitMQ,
    ServiceConnection Blobs,
    EdgeUpstreamHost EdgeUpstreams);

/// <summary>How the edge reaches processes on the host: directly, or from inside a container.</summary>
public sealed record EdgeUpstreamHost(string Host);

public static class ShopInfrastructureExtensions
{
    public const string PrimaryConnectionName = "shopdb";
    public const string ReplicaConnectionName = "shopdb-replica";

    public static ShopInfrastructure AddShopInfrastructure(this IDistributedApplicationBuilder builder, ShopSettings settings)
    {
        var passwords = new InfrastructurePasswords(
            Postgres: builder.AddGeneratedSecret("postgres-password"),
            Redis: builder.AddGeneratedSecret("redis-password"),
            RabbitMQ: builder.AddGeneratedSecret("rabbitmq-password"));

        return settings.Infrastructure == InfrastructureMode.Containers
            ? builder.AddContainerInfrastructure(settings, passwords)
            : builder.AddLocalInfrastructure(settings, passwords);
    }

    /// <summary>References the connection under its service-facing name and waits until the resource behind it is healthy.</summary>
    public static IResourceBuilder<T> WithConnection<T>(this IResourceBuilder<T> service, ServiceConnection connection)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport =>
        service.WithReference(connection.Resource, connection.Name).WaitFor(connection.Resource);

    private static IResourceBuilder<ParameterResource> AddGeneratedSecret(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true);
}

public sealed record InfrastructurePasswords(
    IResourceBuilder<ParameterResource> Postgres,
    IResourceBuilder<ParameterResource> Redis,
    IResourceBuilder<ParameterResource> RabbitMQ);
