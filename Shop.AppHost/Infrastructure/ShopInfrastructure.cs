using System.Globalization;
using Shop.AppHost.Containers;
using Shop.AppHost.Local;

namespace Shop.AppHost.Infrastructure;

/// <summary>A connection a service receives: the resource behind it and the connection-string name the service asks for.</summary>
public sealed record ServiceConnection(IResourceBuilder<IResourceWithConnectionString> Resource, string Name);

/// <summary>The infrastructure every mode provides under the same names, so services are wired the same way in both.</summary>
/// <param name="Primary">The primary as services reach it: through PgBouncer when it is on.</param>
/// <param name="PrimaryDirect">The primary itself, for what needs a session of its own (migrations take an advisory lock).</param>
/// <param name="Redis">The Redis that never evicts: waiting room, rate limits, Data Protection key rings, catalog invalidations.</param>
/// <param name="Cache">The Redis that evicts when full: the catalog's second cache level and carts.</param>
public sealed record ShopInfrastructure(
    ServiceConnection Primary,
    ServiceConnection PrimaryDirect,
    ServiceConnection Replica,
    ServiceConnection Redis,
    ServiceConnection Cache,
    ServiceConnection RabbitMQ,
    ServiceConnection Blobs,
    EdgeUpstreamHost EdgeUpstreams);

/// <summary>How the edge reaches processes on the host: directly, or from inside a container.</summary>
public sealed record EdgeUpstreamHost(string Host);

public static class ShopInfrastructureExtensions
{
    public const string PrimaryConnectionName = "shopdb";
    public const string ReplicaConnectionName = "shopdb-replica";
    private const int PasswordLength = 24;

    public static ShopInfrastructure AddShopInfrastructure(
        this IDistributedApplicationBuilder builder, ShopSettings settings, ConnectionBudget budget)
    {
        var passwords = new InfrastructurePasswords(
            Postgres: builder.AddSecret("postgres-password", PasswordLength),
            Redis: builder.AddSecret("redis-password", PasswordLength),
            RabbitMQ: builder.AddSecret("rabbitmq-password", PasswordLength));

        return settings.Infrastructure == InfrastructureMode.Containers
            ? builder.AddContainerInfrastructure(settings, passwords)
            : builder.AddLocalInfrastructure(settings, budget, passwords);
    }

    /// <summary>References the connection under its service-facing name and waits until the resource behind it is healthy.</summary>
    public static IResourceBuilder<T> WithConnection<T>(this IResourceBuilder<T> service, ServiceConnection connection)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport =>
        service.WithReference(connection.Resource, connection.Name).WaitFor(connection.Resource);

    /// <summary>
    /// How long a service waits for a pooled connection (or a new one) before its request fails: under overload the pool
    /// is the queue, and a bounded one. Npgsql's default, 15 s, holds a request (and its caller) far longer than a shopper
    /// waits; a pool that cannot hand out a connection in this time will not do better by the next request.
    /// </summary>
    public const int PoolTimeoutSeconds = 5;

    /// <summary>
    /// As <see cref="WithConnection{T}(IResourceBuilder{T}, ServiceConnection)"/>, with the service's pool capped at its share
    /// of the connection budget, a bounded wait for a connection (<see cref="PoolTimeoutSeconds"/>) and a command timeout
    /// that fits the service's work: a statement that runs longer holds a connection others queue for.
    /// </summary>
    public static IResourceBuilder<T> WithConnection<T>(this IResourceBuilder<T> service, ServiceConnection connection, int maxPoolSize,
        int commandTimeoutSeconds)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport
    {
        var capped = ReferenceExpression.Create(
            $"{connection.Resource.Resource.ConnectionStringExpression};Maximum Pool Size={maxPoolSize.ToString(CultureInfo.InvariantCulture)};Timeout={PoolTimeoutSeconds.ToString(CultureInfo.InvariantCulture)};Command Timeout={commandTimeoutSeconds.ToString(CultureInfo.InvariantCulture)}");
        // Replaces what WithReference just set, under each name it used (Aspire adds an underscore twin of hyphenated names).
        string[] variables = [.. new[] { connection.Name, connection.Name.Replace('-', '_') }.Distinct().Select(n => $"ConnectionStrings__{n}")];
        return service.WithConnection(connection).WithEnvironment(context =>
        {
            foreach (var variable in variables.Where(context.EnvironmentVariables.ContainsKey))
            {
                context.EnvironmentVariables[variable] = capped;
            }
        });
    }
}

public sealed record InfrastructurePasswords(
    IResourceBuilder<ParameterResource> Postgres,
    IResourceBuilder<ParameterResource> Redis,
    IResourceBuilder<ParameterResource> RabbitMQ);
