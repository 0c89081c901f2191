using System.Text.Json.Nodes;

namespace Shop.UnitTests.Deploy;

/// <summary>
/// The manifests agree with the AppHost's model and with themselves: a service added to the AppHost, a variable it gets,
/// a renamed Secret key or a raised autoscaler maximum shows up here, not in a cluster. Each check is also run once on a
/// render broken on purpose, so it is known to fail.
/// </summary>
public sealed class DeployConsistencyTests
{
    public static TheoryData<string> Overlays => [.. Manifests.Overlays];

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Every_AppHost_service_has_its_workload_with_every_variable_the_AppHost_gives_it(string overlay)
    {
        var services = await AppHostModel.LoadAsync();
        var manifests = Manifests.Load(overlay);

        Assert.Contains(services, s => s.Name == "api-1");
        NoProblems(DeployChecks.Workloads(manifests, services));
        NoProblems(DeployChecks.Environment(manifests, services));
        NoProblems(DeployChecks.Shape(manifests, services));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_secret_and_config_key_referenced_exists(string overlay) =>
        NoProblems(DeployChecks.References(Manifests.Load(overlay)));

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_service_route_autoscaler_budget_and_policy_points_at_something_real(string overlay) =>
        NoProblems(DeployChecks.Targets(Manifests.Load(overlay)));

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_worker_scales_on_the_queue_the_code_declares(string overlay) =>
        NoProblems(DeployChecks.Queue(Manifests.Load(overlay)));

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_connection_budget_holds_at_the_autoscalers_maxima(string overlay) =>
        NoProblems(DeployChecks.Budget(Manifests.Load(overlay)));

    [Fact]
    public async Task A_missing_variable_a_changed_value_or_a_missing_workload_is_reported()
    {
        var services = await AppHostModel.LoadAsync();
        var manifests = Manifests.Load("dev").Clone();
        var api = Env(manifests, "Deployment", "api");
        api.Remove(api.Single(e => (string?)e!["name"] == "Admin__Key"));
        api.Single(e => (string?)e!["name"] == "WaitingRoom__JoinLimit")!["value"] = "61";
        api.Single(e => (string?)e!["name"] == "ConnectionStrings__shopdb")!["value"] =
            ((string)api.Single(e => (string?)e!["name"] == "ConnectionStrings__shopdb")!["value"]!).Replace("Command Timeout=10", "Command Timeout=99");
        var broken = new Manifests([.. manifests.Objects.Where(o => !(Manifests.Kind(o) == "Deployment" && Manifests.Name(o) == "reporting"))]);

        Assert.Equal(
            [
                "Deployment/api lacks Admin__Key, which the AppHost gives api-1.",
                "Deployment/api sets WaitingRoom__JoinLimit=61; the AppHost gives api-1 60.",
                "Deployment/api's ConnectionStrings__shopdb has Command Timeout=99; the AppHost gives api-1 10.",
            ],
            DeployChecks.Environment(broken, services).Where(p => p.Contains("api-1")));
        Assert.Equal(["The AppHost's reporting has no Deployment or Job named reporting."], DeployChecks.Workloads(broken, services));
    }

    [Fact]
    public void A_missing_secret_key_or_config_map_is_reported()
    {
        var manifests = Manifests.Load("dev").Clone();
        manifests.Get("Secret", "shop-secrets")["data"]!.AsObject().Remove("waitingroom-key");
        var broken = new Manifests([.. manifests.Objects.Where(o => Manifests.Name(o) != "cache-config")]);

        var problems = DeployChecks.References(broken).ToList();

        Assert.Contains("Deployment/api uses key waitingroom-key of Secret shop-secrets, which has only admin-key, dataprotection-key, staff-admin-password.", problems);
        Assert.Contains("Deployment/orderworker uses key waitingroom-key of Secret shop-secrets, which has only admin-key, dataprotection-key, staff-admin-password.", problems);
        Assert.Contains("RedisReplication/cache uses ConfigMap cache-config, which nothing in the render makes.", problems);
    }

    [Fact]
    public void Dangling_selectors_backends_and_targets_are_reported()
    {
        var manifests = Manifests.Load("production").Clone();
        manifests.Get("Service", "web")["spec"]!["selector"]!["app.kubernetes.io/name"] = "storefront";
        manifests.Get("HTTPRoute", "staff")["spec"]!["rules"]![0]!["backendRefs"]![0]!["port"] = 80;
        manifests.Get("HorizontalPodAutoscaler", "api")["spec"]!["scaleTargetRef"]!["name"] = "apis";
        manifests.Get("PodDisruptionBudget", "orderworker")["spec"]!["selector"]!["matchLabels"]!["app.kubernetes.io/name"] = "worker";
        manifests.Get("RedisSentinel", "cache")["spec"]!["topologySpreadConstraints"]![0]!["labelSelector"]!["matchLabels"]!["app"] = "cache";
        manifests.Get("HTTPRoute", "shop")["spec"]!["hostnames"]![0] = "www.example.com";

        Assert.Equal(
            [
                "Service/web selects no pods.",
                "Service/web targets port http, which no pod it selects names.",
                "HTTPRoute/shop does not name the host of listener https, shop.example.com.",
                "HTTPRoute/staff sends to port 80 of Service reporting, which has no such port.",
                "HorizontalPodAutoscaler/api scales Deployment/apis, which does not exist.",
                "PodDisruptionBudget/orderworker selects no pods.",
                """RedisSentinel/cache spreads by {"matchLabels":{"app":"cache"}}, which does not select its own pods.""",
            ],
            DeployChecks.Targets(manifests));
    }

    [Fact]
    public void A_queue_other_than_the_codes_is_reported()
    {
        var manifests = Manifests.Load("dev").Clone();
        manifests.Get("ScaledObject", "orderworker")["spec"]!["triggers"]![0]!["metadata"]!["queueName"] = "order";

        Assert.Equal(["The order worker scales on RabbitMQ queue(s) order; the code declares orders."], DeployChecks.Queue(manifests));
    }

    [Fact]
    public void Autoscaler_maxima_beyond_the_database_are_reported()
    {
        var manifests = Manifests.Load("dev").Clone();
        manifests.Get("HorizontalPodAutoscaler", "api")["spec"]!["maxReplicas"] = 30;
        manifests.Get("Pooler", "shopdb-pooler-rw")["spec"]!["instances"] = 3;
        Env(manifests, "Deployment", "reporting").Single(e => (string?)e!["name"] == "ConnectionStrings__shopdb-replica")!["value"] =
            "Host=shopdb-rw;Port=5432;Database=shopdb;Maximum Pool Size=100";

        var problems = DeployChecks.Budget(manifests).ToList();

        Assert.Equal(
            [
                "reporting's reports connects to shopdb-rw; it should use shopdb-ro.",
                "At the autoscalers' maxima (30 API, 20 workers, 2 reporting) the services open 1504 client connections (+20 headroom); the Pooler's max_client_conn is 1000.",
                "3 PgBouncer instances open up to 363 server connections; max_connections=300 leaves them 289 (3 superuser, 5 operations, 3 migrations).",
            ],
            problems);
    }

    private static void NoProblems(IEnumerable<string> problems)
    {
        var list = problems.ToList();
        Assert.True(list.Count == 0, $"{list.Count} problem(s):\n{string.Join("\n", list)}");
    }

    private static JsonArray Env(Manifests manifests, string kind, string name) =>
        manifests.Get(kind, name)["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray();
}
