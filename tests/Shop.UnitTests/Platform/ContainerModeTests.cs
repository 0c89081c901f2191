using Aspire.Hosting.Postgres;
using Aspire.Hosting.RabbitMQ;
using Aspire.Hosting.Redis;

namespace Shop.UnitTests.Platform;

/// <summary>
/// This machine has no container runtime, so the container wiring is proven on the application model:
/// built in Containers mode, inspected, never started.
/// </summary>
public sealed class ContainerModeTests
{
    [Fact]
    public async Task Containers_mode_declares_every_resource_with_its_image_and_wiring()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Shop_AppHost>(
            ["Shop:Infrastructure=Containers"], (options, _) => options.DisableDashboard = true);
        var resources = builder.Resources.ToDictionary(r => r.Name);

        Assert.IsType<PostgresServerResource>(resources["postgres"]);
        Assert.IsType<PostgresDatabaseResource>(resources["shopdb"]);
        Assert.IsType<RedisResource>(resources["redis"]);
        Assert.IsType<RedisResource>(resources["cache"]);
        Assert.IsType<RabbitMQServerResource>(resources["rabbitmq"]);
        Assert.Equal("docker.io/library/postgres", Image(resources["postgres"]).Image);
        Assert.Equal("docker.io/library/postgres", Image(resources["postgres-replica"]).Image);
        Assert.Equal("mcr.microsoft.com/azure-storage/azurite", Image(resources["blobs"]).Image);
        Assert.Equal("docker.io/library/nginx", Image(resources["edge"]).Image);
        Assert.All(new[] { "postgres", "postgres-replica", "redis", "cache", "rabbitmq", "blobs", "edge" },
            name => Assert.IsAssignableFrom<ContainerResource>(resources[name]));

        Assert.All(new[] { "api-1", "api-2", "api-3" }, api =>
        {
            Assert.IsType<ProjectResource>(resources[api]);
            Assert.Equal(["blobs", "cache", "migrations", "postgres", "rabbitmq", "redis", "shopdb"], WaitsFor(resources[api]));
        });
        // Reports read the replica; the primary holds the staff accounts only; Redis the key ring and the sign-in counts.
        Assert.Equal(["migrations", "postgres", "postgres-replica", "redis", "shopdb"], WaitsFor(resources["reporting"]));
        // The worker announces stock changes to Redis but never waits for it: orders do not need Redis.
        Assert.Equal(["migrations", "postgres", "rabbitmq", "shopdb"], WaitsFor(resources["orderworker-1"]));
        Assert.Equal(["blobs", "postgres", "shopdb"], WaitsFor(resources["migrations"]));
        Assert.Equal(["api-1", "api-2", "api-3", "blobs", "web"], WaitsFor(resources["edge"]));
        Assert.Equal(["postgres"], WaitsFor(resources["postgres-replica"]));
    }

    [Fact]
    public async Task Containers_mode_gives_services_the_same_connection_names_as_local_mode()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Shop_AppHost>(
            ["Shop:Infrastructure=Containers"], (options, _) => options.DisableDashboard = true);
        var api = builder.Resources.Single(r => r.Name == "api-1");
        var reporting = builder.Resources.Single(r => r.Name == "reporting");

        var apiConnections = await ConnectionStringVariablesAsync(api);
        var reportingConnections = await ConnectionStringVariablesAsync(reporting);

        Assert.Equal(["blobs", "cache", "rabbitmq", "redis", "shopdb"], apiConnections);
        Assert.Equal(["redis", "shopdb", "shopdb-replica"], reportingConnections);
    }

    [Fact]
    public async Task Containers_mode_starts_each_Redis_with_its_memory_limit_and_eviction_policy()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Shop_AppHost>(
            ["Shop:Infrastructure=Containers"], (options, _) => options.DisableDashboard = true);
        var resources = builder.Resources.ToDictionary(r => r.Name);

        // Run, Aspire passes redis-server's arguments one by one; published, as one string for /bin/sh -c.
        Assert.Equal(["--maxmemory", "512mb", "--maxmemory-policy", "noeviction"], (await ArgsAsync(resources["redis"], DistributedApplicationOperation.Run))[^4..]);
        Assert.Equal(["--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"], (await ArgsAsync(resources["cache"], DistributedApplicationOperation.Run))[^4..]);
        var published = await ArgsAsync(resources["redis"], DistributedApplicationOperation.Publish);
        Assert.Equal("-c", published[0]);
        Assert.StartsWith("redis-server ", published[1]);
        Assert.EndsWith(" --maxmemory 512mb --maxmemory-policy noeviction", published[1]);
        Assert.Equal(2, published.Length);
        Assert.EndsWith(" --maxmemory 256mb --maxmemory-policy allkeys-lru", (await ArgsAsync(resources["cache"], DistributedApplicationOperation.Publish))[1]);
    }

    private static async Task<string[]> ArgsAsync(IResource resource, DistributedApplicationOperation operation)
    {
        var args = new List<object>();
        var context = new CommandLineArgsCallbackContext(args, resource, CancellationToken.None)
        {
            ExecutionContext = new DistributedApplicationExecutionContext(operation),
        };
        foreach (var callback in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await callback.Callback(context);
        }
        return [.. args.Select(a => a.ToString()!)];
    }

    private static ContainerImageAnnotation Image(IResource resource) =>
        resource.Annotations.OfType<ContainerImageAnnotation>().Single();

    private static string[] WaitsFor(IResource resource) =>
        [.. resource.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).Distinct().Order()];

    private static async Task<string[]> ConnectionStringVariablesAsync(IResource resource)
    {
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish));
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }
        const string prefix = "ConnectionStrings__";
        // Aspire also sets an underscore twin of hyphenated names for shells that cannot read hyphens.
        return [.. context.EnvironmentVariables.Keys
            .Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => k[prefix.Length..].Replace('_', '-'))
            .Distinct()
            .Order()];
    }
}
