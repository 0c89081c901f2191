
namespace Shop.UnitTests.Deploy;

/// <summary>
/// Every rendered object validates against its schema and names no field the schema lacks (deploy/tools/validate-manifests.mjs:
/// the kubernetes-models packages, and the operators' CRD schemas kept in deploy/schemas/).
/// </summary>
public sealed class DeploySchemaTests
{
    public static TheoryData<string> Overlays => [.. Manifests.Overlays];

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Every_rendered_object_matches_its_schema_with_no_unknown_fields(string overlay)
    {
        var (exitCode, output) = await ValidateAsync(await Manifests.RenderAsync(overlay));

        Assert.True(exitCode == 0, $"deploy/overlays/{overlay}:\n{output}");
        Assert.Matches(@"^\d+ objects valid", output.Trim());
    }

    [Fact]
    public async Task Misspelt_fields_and_wrong_types_are_errors_in_built_in_operator_and_crd_package_kinds()
    {
        const string manifests = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: api
            spec:
              selector:
                matchLabels: {app: api}
              template:
                metadata:
                  labels: {app: api}
                spec:
                  containers:
                    - name: api
                      image: shop/api
                      imagePullPolicyy: Always
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: api
            spec:
              ports:
                - port: "eighty"
            ---
            apiVersion: postgresql.cnpg.io/v1
            kind: Cluster
            metadata:
              name: shopdb
            spec:
              instancess: 3
            ---
            apiVersion: rabbitmq.com/v1beta1
            kind: RabbitmqCluster
            metadata:
              name: rabbitmq
            spec:
              replicas: 3
              persistence:
                storageSize: 10Gi
            ---
            apiVersion: redis.redis.opstreelabs.in/v1beta2
            kind: RedisSentinel
            metadata:
              name: redis
            spec:
              clusterSize: 3
              kubernetesConfig:
                image: quay.io/opstree/redis-sentinel:v7.0.15
              redisSentinelConfig:
                redisReplicationName: redis
                masterGroup: redis
            ---
            apiVersion: keda.sh/v1alpha1
            kind: ScaledObject
            metadata:
              name: orderworker
            spec:
              scaleTargetRef:
                name: orderworker
              maxReplicas: 20
              triggers: []
            ---
            apiVersion: example.com/v1
            kind: Widget
            metadata:
              name: nobody-knows-me
            """;

        var (exitCode, output) = await ValidateAsync(manifests);

        Assert.Equal(1, exitCode);
        Assert.Contains("Deployment/api:", output);
        Assert.Contains("'imagePullPolicyy' does not exist", output);
        Assert.Contains("Service/api:", output);
        Assert.Contains("Cluster/shopdb: spec.instancess: unknown field", output);
        Assert.Contains("RabbitmqCluster/rabbitmq: spec.persistence.storageSize: unknown field", output);
        Assert.Contains("RedisSentinel/redis: spec.redisSentinelConfig.masterGroup: unknown field", output);
        Assert.Contains("ScaledObject/orderworker:", output);
        Assert.Contains("'maxReplicas' does not exist", output);
        Assert.Contains("Widget/nobody-knows-me: no schema for example.com/v1 Widget", output);
    }

    [Fact]
    public async Task The_crd_schemas_in_the_repository_name_their_source_and_version()
    {
        var schemas = Directory.GetFiles(Path.Combine(BootedShop.RepositoryRoot, "deploy", "schemas"), "*.json");

        Assert.Equal(["postgresql.cnpg.io_v1_cluster.json", "postgresql.cnpg.io_v1_pooler.json", "rabbitmq.com_v1beta1_rabbitmqcluster.json",
            "redis.redis.opstreelabs.in_v1beta2_redisreplication.json", "redis.redis.opstreelabs.in_v1beta2_redissentinel.json"],
            schemas.Select(Path.GetFileName).Order());
        foreach (var schema in schemas)
        {
            var comment = (string?)System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(schema))!["$comment"];
            Assert.Matches(@"from \S+ v\d+\.\d+\.\d+ ", comment);
        }
    }

    private static async Task<(int ExitCode, string Output)> ValidateAsync(string manifests)
    {
        var (exitCode, output, error) = await Processes.RunAsync(FindNode(), ["deploy/tools/validate-manifests.mjs"], input: manifests,
            // Type-checking every object takes ~10 s of CPU; a busy CI machine may take a while longer.
            timeout: TimeSpan.FromMinutes(4));
        Assert.True(exitCode is 0 or 1, $"validate-manifests.mjs could not run ({exitCode}): {error}{output}");
        return (exitCode, output);
    }

    private static string FindNode() =>
        new[] { "/usr/bin/node", "/usr/local/bin/node" }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "node")))
            .FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("Node.js is not installed: the schema check runs deploy/tools/validate-manifests.mjs (Node 20 or later).");
}
