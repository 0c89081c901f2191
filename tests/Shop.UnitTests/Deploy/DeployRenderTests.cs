namespace Shop.UnitTests.Deploy;

/// <summary>Every overlay of deploy/ renders offline with <c>kubectl kustomize</c>; no cluster is needed or touched.</summary>
public sealed class DeployRenderTests
{
    public static TheoryData<string> Overlays => [.. Manifests.Overlays];

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Each_overlay_renders_the_services_the_migrations_job_and_the_data(string overlay)
    {
        var manifests = Manifests.Load(overlay);

        Assert.All(new[] { "api", "web", "orderworker", "reporting" }, name => Assert.NotNull(manifests.Find("Deployment", name)));
        Assert.NotNull(manifests.Find("Job", "migrations"));
        Assert.NotNull(manifests.Find("Cluster", "shopdb"));
        Assert.NotNull(manifests.Find("Pooler", "shopdb-pooler-rw"));
        Assert.NotNull(manifests.Find("RabbitmqCluster", "rabbitmq"));
        Assert.Equal(["cache", "redis"], manifests.OfKind("RedisReplication").Select(Manifests.Name).Order());
        Assert.Equal(["cache", "redis"], manifests.OfKind("RedisSentinel").Select(Manifests.Name).Order());
        Assert.NotNull(manifests.Find("Gateway", "shop"));
        Assert.All(manifests.Objects.Where(o => Manifests.Kind(o) != "Namespace"),
            o => Assert.Equal("shop", (string?)o["metadata"]!["namespace"]));
    }

    [Fact]
    public void The_dev_overlay_makes_its_secrets_from_files_and_production_from_the_secret_store()
    {
        var dev = Manifests.Load("dev");
        var production = Manifests.Load("production");

        Assert.Equal(["admin-key", "dataprotection-key", "staff-admin-password", "waitingroom-key"],
            dev.Get("Secret", "shop-secrets")["data"]!.AsObject().Select(p => p.Key).Order());
        Assert.Empty(production.OfKind("Secret"));
        Assert.Equal(["redis-auth", "shop-blobs", "shop-secrets"], production.OfKind("ExternalSecret").Select(Manifests.Name).Order());
    }

    [Fact]
    public void A_machine_without_kubectl_is_told_to_install_it()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Kubectl.Find(["/nonexistent/kubectl"], path: "/nonexistent"));

        Assert.Equal(Kubectl.Missing, error.Message);
        Assert.Contains("Install kubectl", error.Message);
    }
}
