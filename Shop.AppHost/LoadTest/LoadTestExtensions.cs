using Shop.AppHost.Infrastructure;

namespace Shop.AppHost.LoadTest;

public static class LoadTestExtensions
{
    public const string ResourceName = "loadtest";

    /// <summary>
    /// The load-test program as a dashboard resource that never starts by itself: press Start to run a peak sale
    /// (20,000 shoppers over a minute) against this shop's edge and watch it on the Metrics and Traces pages.
    /// Reports land in artifacts/loadtest/. It sets the sale up at <paramref name="adminApi"/>, an API instance on this
    /// machine: the admin key is not accepted over the edge's plain http.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddLoadTest(
        this IDistributedApplicationBuilder builder, ShopSettings settings, EndpointReference edge, EndpointReference adminApi,
        IResourceBuilder<ParameterResource> adminKey) =>
        builder.AddProject<Projects.Shop_LoadTest>(ResourceName)
            .WithExplicitStart()
            .WithEnvironment("Admin__Key", adminKey)
            .WithEnvironment("LOADTEST_REPORT_ROOT", Path.Combine(settings.RepositoryRoot(builder), "artifacts", "loadtest"))
            .WithArgs("--target", edge, "--admin-target", adminApi, "--order-workers", settings.OrderWorkers.ToString());
}
