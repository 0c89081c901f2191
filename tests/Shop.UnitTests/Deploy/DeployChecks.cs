using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using Shop.AppHost.Infrastructure;
using static Shop.UnitTests.Deploy.Manifests;

namespace Shop.UnitTests.Deploy;

/// <summary>
/// Checks of a rendered overlay against itself and against the AppHost's model. Each returns what is wrong, one
/// sentence a problem, so a test shows them all at once; an empty list is a pass.
/// </summary>
public static class DeployChecks
{
    /// <summary>AppHost resources with no workload in the cluster, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> NotDeployed = new Dictionary<string, string>
    {
        ["loadtest"] = "the load generator, started by hand on the dashboard; not part of the shop",
    };

    /// <summary>
    /// Aspire-only plumbing: environment the AppHost sets for running everything on one machine under its dashboard,
    /// with no counterpart in the cluster. Each entry is a name or a prefix (ending in _ or __) and why it is exempt.
    /// </summary>
    public static readonly IReadOnlyList<(string Name, string Why)> AspireOnly =
    [
        ("OTEL_", "telemetry switches for the Aspire dashboard; a cluster's OpenTelemetry collector is set up with the cluster"),
        ("ASPNETCORE_URLS", "the address the AppHost picked on this machine; the images listen on 8080 (containerPort http)"),
    ];

    /// <summary>Variables the cluster provides with a value of its own on purpose, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> OwnValue = new Dictionary<string, string>
    {
        ["Shop__Service__InstanceName"] = "the pod's name, not the AppHost's api-1",
        ["Orders__RateLimitExempt__0"] = "the storefront's pods' network, not the loopback address it has on one machine",
    };

    private static bool IsAspireOnly(string name, AppHostService service) =>
        AspireOnly.Any(e => e.Name.EndsWith('_') ? name.StartsWith(e.Name, StringComparison.Ordinal) : name == e.Name)
        // Aspire 13 also hands each reference's parts (SHOPDB_HOST, REDIS_URI, RABBITMQ_USERNAME…) for clients that build
        // their own connection; the .NET clients read ConnectionStrings__<name>, which is checked.
        || (Regex.Match(name, "^([A-Z0-9_]+)_(HOST|PORT|URI|USERNAME|PASSWORD|DATABASENAME|JDBCCONNECTIONSTRING)$") is { Success: true } part
            && service.Environment.Keys.Any(k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal)
                && k["ConnectionStrings__".Length..].Replace('-', '_').ToUpperInvariant() == part.Groups[1].Value))
        // Aspire sets an underscore twin of hyphenated connection names (ConnectionStrings__shopdb_replica) for shells
        // that cannot read hyphens; the services read the hyphenated one.
        || Regex.IsMatch(name, "^ConnectionStrings__[A-Za-z0-9]+_[A-Za-z0-9_]+$")
        // One Service stands for every API instance: the storefront gets entry 0 only.
        || Regex.IsMatch(name, @"^services__[a-z0-9-]+__[a-z]+__[1-9]\d*$");

    public static JsonObject? Workload(Manifests manifests, string name) =>
        manifests.Find("Deployment", name) ?? manifests.Find("Job", name);

    public static IEnumerable<string> Workloads(Manifests manifests, IReadOnlyList<AppHostService> services) =>
        services.Where(s => !NotDeployed.ContainsKey(s.Name) && Workload(manifests, s.Workload) is null)
            .Select(s => $"The AppHost's {s.Name} has no Deployment or Job named {s.Workload}.");

    /// <summary>Every variable the AppHost gives a service is in its container; literal values agree.</summary>
    public static IEnumerable<string> Environment(Manifests manifests, IReadOnlyList<AppHostService> services)
    {
        var problems = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var service in services.Where(s => !NotDeployed.ContainsKey(s.Name)))
        {
            if (Workload(manifests, service.Workload) is not { } workload)
            {
                continue;
            }
            var env = Containers(workload).SelectMany(c => c["env"]?.AsArray() ?? []).OfType<JsonObject>()
                .GroupBy(e => (string)e["name"]!).ToDictionary(g => g.Key, g => g.First());
            foreach (var (name, value) in service.Environment)
            {
                if (IsAspireOnly(name, service))
                {
                    continue;
                }
                var where = $"{Kind(workload)}/{service.Workload}";
                if (!env.TryGetValue(name, out var entry))
                {
                    problems.Add($"{where} lacks {name}, which the AppHost gives {service.Name}.");
                    continue;
                }
                if (value is string literal && !OwnValue.ContainsKey(name) && entry["value"] is { } given && (string?)given != literal)
                {
                    problems.Add($"{where} sets {name}={given}; the AppHost gives {service.Name} {literal}.");
                }
                if (value is ReferenceExpression expression && CommandTimeout(expression.Format) is { } timeout
                    && entry["value"] is { } connection && CommandTimeout((string)connection!) != timeout)
                {
                    problems.Add($"{where}'s {name} has Command Timeout={CommandTimeout((string)connection!)}; the AppHost gives {service.Name} {timeout}.");
                }
            }
        }
        return problems;
    }

    private static int? CommandTimeout(string connectionString) =>
        Regex.Match(connectionString, @"Command Timeout=(\d+)") is { Success: true } m ? int.Parse(m.Groups[1].Value) : null;

    /// <summary>Keys of the Secrets the render makes or that the operators and External Secrets make from it.</summary>
    public static Dictionary<string, HashSet<string>> SecretKeys(Manifests manifests)
    {
        var secrets = new Dictionary<string, HashSet<string>>();
        void Add(string name, IEnumerable<string> keys) =>
            (secrets.TryGetValue(name, out var set) ? set : secrets[name] = []).UnionWith(keys);

        foreach (var secret in manifests.OfKind("Secret"))
        {
            Add(Name(secret), Keys(secret["data"]).Concat(Keys(secret["stringData"])));
        }
        foreach (var external in manifests.OfKind("ExternalSecret"))
        {
            Add((string?)external["spec"]?["target"]?["name"] ?? Name(external),
                (external["spec"]?["data"]?.AsArray() ?? []).Select(d => (string)d!["secretKey"]!));
        }
        // CloudNativePG's <cluster>-app (pkg/specs/secrets.go, v1.30.0).
        foreach (var cluster in manifests.OfKind("Cluster"))
        {
            Add($"{Name(cluster)}-app", ["username", "user", "password", "dbname", "host", "port", "pgpass", "uri", "jdbc-uri", "fqdn-uri", "fqdn-jdbc-uri"]);
        }
        // The RabbitMQ Cluster Operator's <cluster>-default-user (internal/resource/default_user_secret.go, v2.22.3).
        foreach (var rabbitmq in manifests.OfKind("RabbitmqCluster"))
        {
            Add($"{Name(rabbitmq)}-default-user", ["username", "password", "default_user.conf", "provider", "type", "host", "port", "connection_string"]);
        }
        foreach (var certificate in manifests.OfKind("Certificate"))
        {
            Add((string)certificate["spec"]!["secretName"]!, ["tls.crt", "tls.key", "ca.crt"]);
        }
        return secrets;
    }

    private static IEnumerable<string> Keys(JsonNode? node) => node?.AsObject().Select(p => p.Key) ?? [];

    /// <summary>Every Secret and ConfigMap key a pod, an operator's resource or a trigger names exists.</summary>
    public static IEnumerable<string> References(Manifests manifests)
    {
        var secrets = SecretKeys(manifests);
        var configMaps = manifests.OfKind("ConfigMap").ToDictionary(Name, c => Keys(c["data"]).ToHashSet());
        var problems = new List<string>();

        void Check(JsonObject owner, string what, Dictionary<string, HashSet<string>> source, string? name, string? key)
        {
            if (name is null)
            {
                problems.Add($"{Kind(owner)}/{Name(owner)} names a {what} without a name.");
            }
            else if (!source.TryGetValue(name, out var keys))
            {
                problems.Add($"{Kind(owner)}/{Name(owner)} uses {what} {name}, which nothing in the render makes.");
            }
            else if (key is not null && !keys.Contains(key))
            {
                problems.Add($"{Kind(owner)}/{Name(owner)} uses key {key} of {what} {name}, which has only {string.Join(", ", keys.Order())}.");
            }
        }

        foreach (var owner in manifests.Objects)
        {
            foreach (var container in Containers(owner))
            {
                foreach (var env in container["env"]?.AsArray() ?? [])
                {
                    if (env?["valueFrom"]?["secretKeyRef"] is { } s)
                    {
                        Check(owner, "Secret", secrets, (string?)s["name"], (string?)s["key"]);
                    }
                    if (env?["valueFrom"]?["configMapKeyRef"] is { } c)
                    {
                        Check(owner, "ConfigMap", configMaps, (string?)c["name"], (string?)c["key"]);
                    }
                }
                foreach (var from in container["envFrom"]?.AsArray() ?? [])
                {
                    if (from?["secretRef"] is { } s)
                    {
                        Check(owner, "Secret", secrets, (string?)s["name"], null);
                    }
                    if (from?["configMapRef"] is { } c)
                    {
                        Check(owner, "ConfigMap", configMaps, (string?)c["name"], null);
                    }
                }
            }
            foreach (var volume in PodSpec(owner)?["volumes"]?.AsArray() ?? [])
            {
                if (volume?["secret"] is { } s)
                {
                    Check(owner, "Secret", secrets, (string?)s["secretName"], null);
                }
                if (volume?["configMap"] is { } c)
                {
                    Check(owner, "ConfigMap", configMaps, (string?)c["name"], null);
                }
            }
        }
        foreach (var redis in manifests.OfKind("RedisReplication").Concat(manifests.OfKind("RedisSentinel")))
        {
            if (redis["spec"]?["kubernetesConfig"]?["redisSecret"] is { } s)
            {
                Check(redis, "Secret", secrets, (string?)s["name"], (string?)s["key"]);
            }
            if (redis["spec"]?["redisSentinelConfig"]?["redisReplicationPassword"]?["secretKeyRef"] is { } p)
            {
                Check(redis, "Secret", secrets, (string?)p["name"], (string?)p["key"]);
            }
            if (redis["spec"]?["redisConfig"]?["additionalRedisConfig"] is { } config)
            {
                // The operator mounts it and Redis includes /etc/redis/external.conf.d/redis-additional.conf (v0.26.0).
                Check(redis, "ConfigMap", configMaps, (string?)config, "redis-additional.conf");
            }
        }
        foreach (var trigger in manifests.OfKind("TriggerAuthentication"))
        {
            foreach (var target in trigger["spec"]?["secretTargetRef"]?.AsArray() ?? [])
            {
                Check(trigger, "Secret", secrets, (string?)target!["name"], (string?)target["key"]);
            }
        }
        foreach (var gateway in manifests.OfKind("Gateway"))
        {
            foreach (var listener in gateway["spec"]!["listeners"]!.AsArray())
            {
                foreach (var certificate in listener!["tls"]?["certificateRefs"]?.AsArray() ?? [])
                {
                    Check(gateway, "Secret", secrets, (string?)certificate!["name"], "tls.crt");
                }
            }
        }
        return problems;
    }

    /// <summary>
    /// The labels of the pods each object makes: a workload's template, or what the operators put on theirs
    /// (CloudNativePG cnpg.io/cluster and cnpg.io/poolerName, the RabbitMQ operator app.kubernetes.io/name,
    /// redis-operator app = the name, and name-sentinel for Sentinels, cert-manager's HTTP-01 solvers).
    /// </summary>
    public static IEnumerable<(JsonObject Owner, Dictionary<string, string> Labels)> Pods(Manifests manifests)
    {
        foreach (var owner in manifests.Objects)
        {
            var labels = Kind(owner) switch
            {
                "Deployment" or "Job" or "StatefulSet" or "DaemonSet" => Labels(owner["spec"]?["template"]?["metadata"]?["labels"]),
                "Cluster" => new() { ["cnpg.io/cluster"] = Name(owner) },
                "Pooler" => new() { ["cnpg.io/poolerName"] = Name(owner), ["cnpg.io/cluster"] = (string)owner["spec"]!["cluster"]!["name"]! },
                "RabbitmqCluster" => new() { ["app.kubernetes.io/name"] = Name(owner) },
                "RedisReplication" => new() { ["app"] = Name(owner) },
                "RedisSentinel" => new Dictionary<string, string> { ["app"] = $"{Name(owner)}-sentinel" },
                // cert-manager answers each HTTP-01 challenge from a solver pod of its own.
                "Issuer" or "ClusterIssuer" when owner["spec"]?["acme"]?["solvers"]?.AsArray().Any(s => s?["http01"] is not null) == true =>
                    new() { ["acme.cert-manager.io/http01-solver"] = "true" },
                _ => null,
            };
            if (labels is not null)
            {
                yield return (owner, labels);
            }
        }
    }

    private static Dictionary<string, string> Labels(JsonNode? node) =>
        node?.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!) ?? [];

    public static bool Selects(JsonNode? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is null)
        {
            return false;
        }
        // A Service's selector is a plain map; a LabelSelector has matchLabels and matchExpressions.
        var matchLabels = selector["matchLabels"]?.AsObject() ?? (selector["matchExpressions"] is null ? selector.AsObject() : new JsonObject());
        foreach (var (key, value) in matchLabels)
        {
            if (!labels.TryGetValue(key, out var actual) || actual != (string?)value)
            {
                return false;
            }
        }
        foreach (var expression in selector["matchExpressions"]?.AsArray() ?? [])
        {
            var key = (string)expression!["key"]!;
            var values = (expression["values"]?.AsArray() ?? []).Select(v => (string)v!).ToHashSet();
            var has = labels.TryGetValue(key, out var actual);
            var ok = (string?)expression["operator"] switch
            {
                "In" => has && values.Contains(actual!),
                "NotIn" => !has || !values.Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Every Service, route, autoscaler, budget, policy and spread constraint points at something real.</summary>
    public static IEnumerable<string> Targets(Manifests manifests)
    {
        var problems = new List<string>();
        var pods = Pods(manifests).ToList();
        bool SelectsAny(JsonNode? selector) => pods.Any(p => Selects(selector, p.Labels));
        string Of(JsonObject o) => $"{Kind(o)}/{Name(o)}";

        foreach (var service in manifests.OfKind("Service"))
        {
            if (!SelectsAny(service["spec"]?["selector"]))
            {
                problems.Add($"{Of(service)} selects no pods.");
            }
            foreach (var port in service["spec"]?["ports"]?.AsArray() ?? [])
            {
                if (port!["targetPort"] is { } target && target.GetValueKind() == System.Text.Json.JsonValueKind.String
                    && !pods.Any(p => Selects(service["spec"]!["selector"], p.Labels)
                        && Containers(p.Owner).Any(c => (c["ports"]?.AsArray() ?? []).Any(cp => (string?)cp!["name"] == (string?)target))))
                {
                    problems.Add($"{Of(service)} targets port {target}, which no pod it selects names.");
                }
            }
        }
        foreach (var workload in manifests.OfKind("Deployment"))
        {
            if (!Selects(workload["spec"]!["selector"], Labels(workload["spec"]!["template"]!["metadata"]!["labels"])))
            {
                problems.Add($"{Of(workload)}'s selector does not select its own pods.");
            }
        }
        foreach (var route in manifests.OfKind("HTTPRoute"))
        {
            foreach (var parent in route["spec"]!["parentRefs"]!.AsArray())
            {
                var gateway = manifests.Find("Gateway", (string)parent!["name"]!);
                var section = (string?)parent["sectionName"];
                var listener = gateway?["spec"]!["listeners"]!.AsArray().FirstOrDefault(l => section is null || (string?)l!["name"] == section);
                if (listener is null)
                {
                    problems.Add($"{Of(route)} hangs on Gateway {parent["name"]} listener {section}, which does not exist.");
                }
                else if (listener["hostname"] is { } hostname
                    && !(route["spec"]!["hostnames"]?.AsArray() ?? []).Select(h => (string?)h).Contains((string?)hostname))
                {
                    problems.Add($"{Of(route)} does not name the host of listener {section}, {hostname}.");
                }
            }
            foreach (var backend in route["spec"]!["rules"]!.AsArray().SelectMany(r => r!["backendRefs"]?.AsArray() ?? []))
            {
                var service = manifests.Find("Service", (string)backend!["name"]!);
                if (service is null)
                {
                    problems.Add($"{Of(route)} sends to Service {backend["name"]}, which does not exist.");
                }
                else if (!service["spec"]!["ports"]!.AsArray().Any(p => Number(p!["port"]) == Number(backend["port"])))
                {
                    problems.Add($"{Of(route)} sends to port {backend["port"]} of Service {backend["name"]}, which has no such port.");
                }
            }
        }
        foreach (var gateway in manifests.OfKind("Gateway"))
        {
            foreach (var listener in gateway["spec"]!["listeners"]!.AsArray())
            {
                foreach (var reference in listener!["tls"]?["certificateRefs"]?.AsArray() ?? [])
                {
                    var certificate = manifests.OfKind("Certificate").FirstOrDefault(c => (string?)c["spec"]!["secretName"] == (string?)reference!["name"]);
                    if (certificate is not null && !certificate["spec"]!["dnsNames"]!.AsArray().Select(n => (string?)n).Contains((string?)listener["hostname"]))
                    {
                        problems.Add($"Certificate/{Name(certificate)} does not cover listener {listener["name"]}'s host {listener["hostname"]}.");
                    }
                }
            }
        }
        foreach (var certificate in manifests.OfKind("Certificate"))
        {
            var issuer = certificate["spec"]!["issuerRef"]!;
            if (manifests.Find((string?)issuer["kind"] ?? "Issuer", (string)issuer["name"]!) is null)
            {
                problems.Add($"{Of(certificate)} is issued by {issuer["kind"]} {issuer["name"]}, which does not exist.");
            }
        }
        foreach (var hpa in manifests.OfKind("HorizontalPodAutoscaler"))
        {
            var target = hpa["spec"]!["scaleTargetRef"]!;
            if (manifests.Find((string)target["kind"]!, (string)target["name"]!) is null)
            {
                problems.Add($"{Of(hpa)} scales {target["kind"]}/{target["name"]}, which does not exist.");
            }
        }
        foreach (var scaled in manifests.OfKind("ScaledObject"))
        {
            var target = scaled["spec"]!["scaleTargetRef"]!;
            if (manifests.Find((string?)target["kind"] ?? "Deployment", (string)target["name"]!) is null)
            {
                problems.Add($"{Of(scaled)} scales {target["name"]}, which does not exist.");
            }
            foreach (var trigger in scaled["spec"]!["triggers"]!.AsArray())
            {
                if (trigger!["authenticationRef"]?["name"] is { } auth && manifests.Find("TriggerAuthentication", (string)auth!) is null)
                {
                    problems.Add($"{Of(scaled)} authenticates with TriggerAuthentication {auth}, which does not exist.");
                }
            }
        }
        foreach (var budget in manifests.OfKind("PodDisruptionBudget"))
        {
            if (!SelectsAny(budget["spec"]?["selector"]))
            {
                problems.Add($"{Of(budget)} selects no pods.");
            }
        }
        foreach (var policy in manifests.OfKind("NetworkPolicy"))
        {
            var selector = policy["spec"]!["podSelector"]!;
            if (selector.AsObject().Count > 0 && !SelectsAny(selector))
            {
                problems.Add($"{Of(policy)} applies to no pods.");
            }
            foreach (var peer in (policy["spec"]!["ingress"]?.AsArray() ?? []).SelectMany(r => r!["from"]?.AsArray() ?? []))
            {
                // A peer in another namespace (the Gateway's proxies, an operator) is not in the render.
                if (peer!["podSelector"] is { } from && peer["namespaceSelector"] is null && !SelectsAny(from))
                {
                    problems.Add($"{Of(policy)} admits pods that nothing makes: {from.ToJsonString()}.");
                }
            }
        }
        foreach (var (owner, labels) in pods)
        {
            foreach (var constraint in SpreadConstraints(owner))
            {
                if (!Selects(constraint["labelSelector"], labels))
                {
                    problems.Add($"{Of(owner)} spreads by {constraint["labelSelector"]!.ToJsonString()}, which does not select its own pods.");
                }
            }
        }
        foreach (var pooler in manifests.OfKind("Pooler"))
        {
            if (manifests.Find("Cluster", (string)pooler["spec"]!["cluster"]!["name"]!) is null)
            {
                problems.Add($"{Of(pooler)} pools for a Cluster that does not exist.");
            }
        }
        foreach (var sentinel in manifests.OfKind("RedisSentinel"))
        {
            if (manifests.Find("RedisReplication", (string)sentinel["spec"]!["redisSentinelConfig"]!["redisReplicationName"]!) is null)
            {
                problems.Add($"{Of(sentinel)} watches a RedisReplication that does not exist.");
            }
        }
        return problems;
    }

    private static IEnumerable<JsonNode> SpreadConstraints(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            foreach (var (key, value) in o)
            {
                var found = key == "topologySpreadConstraints" && value is JsonArray a ? a.OfType<JsonNode>() : SpreadConstraints(value);
                foreach (var constraint in found)
                {
                    yield return constraint;
                }
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var constraint in array.SelectMany(SpreadConstraints))
            {
                yield return constraint;
            }
        }
    }

    /// <summary>The worker scales on the queue the code declares.</summary>
    public static IEnumerable<string> Queue(Manifests manifests)
    {
        var scaled = manifests.Find("ScaledObject", "orderworker");
        if (scaled is null)
        {
            return ["No ScaledObject scales the order worker."];
        }
        var queues = scaled["spec"]!["triggers"]!.AsArray().Where(t => (string?)t!["type"] == "rabbitmq")
            .Select(t => (string?)t!["metadata"]?["queueName"]).ToList();
        return queues.Count == 1 && queues[0] == Shop.Messaging.OrderQueue.Name
            ? []
            : [$"The order worker scales on RabbitMQ queue(s) {string.Join(", ", queues)}; the code declares {Shop.Messaging.OrderQueue.Name}."];
    }

    /// <summary>A service's Postgres connection string in the render, parsed.</summary>
    public static NpgsqlConnectionStringBuilder? Connection(Manifests manifests, string workload, string name) =>
        Workload(manifests, workload) is { } w
        && Containers(w).SelectMany(c => c["env"]?.AsArray() ?? []).FirstOrDefault(e => (string?)e!["name"] == $"ConnectionStrings__{name}")?["value"] is { } value
            ? new NpgsqlConnectionStringBuilder((string)value!)
            : null;

    /// <summary>
    /// The shop's connection budget (<see cref="ConnectionBudget"/>, with PgBouncer: the Pooler is the seed's PgBouncer)
    /// at the autoscalers' maxima: the pools the services keep, the clients the Pooler accepts, the server connections
    /// it opens and Reporting's on the standbys all fit the Cluster's max_connections.
    /// </summary>
    public static IEnumerable<string> Budget(Manifests manifests)
    {
        var problems = new List<string>();
        var cluster = manifests.Get("Cluster", "shopdb");
        var pooler = manifests.OfKind("Pooler").Single();
        var poolerHost = Name(pooler);
        var maxConnections = int.Parse((string)cluster["spec"]!["postgresql"]!["parameters"]!["max_connections"]!);
        var apiMax = (int)Number(manifests.Get("HorizontalPodAutoscaler", "api")["spec"]!["maxReplicas"])!;
        var workerMax = (int)Number(manifests.Get("ScaledObject", "orderworker")["spec"]!["maxReplicaCount"])!;
        var reportingReplicas = (int?)Number(manifests.Get("Deployment", "reporting")["spec"]!["replicas"]) ?? 1;

        var api = Connection(manifests, "api", "shopdb");
        var worker = Connection(manifests, "orderworker", "shopdb");
        var staff = Connection(manifests, "reporting", "shopdb");
        var replica = Connection(manifests, "reporting", ShopInfrastructureExtensions.ReplicaConnectionName);
        var migrations = Connection(manifests, "migrations", "shopdb");
        if (api is null || worker is null || staff is null || replica is null || migrations is null)
        {
            return ["A service's Postgres connection string is missing from the render (api, orderworker, reporting ×2, migrations)."];
        }
        foreach (var (who, connection, host) in new[]
        {
            ("api", api, poolerHost), ("orderworker", worker, poolerHost), ("reporting's staff accounts", staff, poolerHost),
            ("reporting's reports", replica, "shopdb-ro"), ("migrations", migrations, "shopdb-rw"),
        })
        {
            if (connection.Host != host)
            {
                problems.Add($"{who} connects to {connection.Host}; it should use {host}.");
            }
        }

        ConnectionBudget budget;
        try
        {
            budget = ConnectionBudget.For(new ShopSettings
            {
                ApiReplicas = apiMax,
                OrderWorkers = workerMax,
                Database = new DatabaseSettings { MaxConnections = maxConnections, PgBouncer = true, ClientPoolSize = api.MaxPoolSize },
            });
        }
        catch (InvalidOperationException e)
        {
            return [.. problems, e.Message];
        }
        var bouncer = budget.PgBouncer!;
        foreach (var (who, actual, expected) in new[]
        {
            ("api", api.MaxPoolSize, budget.ApiPool), ("orderworker", worker.MaxPoolSize, budget.WorkerPool),
            ("reporting's staff accounts", staff.MaxPoolSize, budget.StaffPool), ("migrations", migrations.MaxPoolSize, budget.MigrationsPool),
        })
        {
            if (actual != expected)
            {
                problems.Add($"{who} keeps a pool of {actual}; the connection budget gives it {expected}.");
            }
        }
        if (replica.MaxPoolSize > budget.ReplicaPool)
        {
            problems.Add($"Reporting keeps {replica.MaxPoolSize} connections to the standbys; the budget gives it {budget.ReplicaPool}.");
        }

        var parameters = pooler["spec"]!["pgbouncer"]!["parameters"]!;
        var instances = (int?)Number(pooler["spec"]!["instances"]) ?? 1;
        var maxClients = int.Parse((string)parameters["max_client_conn"]!);
        var poolSize = int.Parse((string)parameters["default_pool_size"]!);
        var perDatabase = parameters["max_db_connections"] is { } d ? int.Parse((string)d!) : poolSize;
        // Kubernetes spreads connections, not load: any one PgBouncer may get every client.
        var clients = apiMax * api.MaxPoolSize + workerMax * worker.MaxPoolSize + reportingReplicas * staff.MaxPoolSize;
        if (clients + ConnectionBudget.PgBouncerClientHeadroom > maxClients)
        {
            problems.Add($"At the autoscalers' maxima ({apiMax} API, {workerMax} workers, {reportingReplicas} reporting) the services open {clients} " +
                $"client connections (+{ConnectionBudget.PgBouncerClientHeadroom} headroom); the Pooler's max_client_conn is {maxClients}.");
        }
        var servers = instances * Math.Min(poolSize, perDatabase) + instances * PgBouncerBudget.ProbePool;
        if (servers > bouncer.ServerConnections)
        {
            problems.Add($"{instances} PgBouncer instances open up to {servers} server connections; max_connections={maxConnections} leaves them " +
                $"{bouncer.ServerConnections} ({ConnectionBudget.SuperuserReserved} superuser, {ConnectionBudget.Operations} operations, " +
                $"{budget.MigrationsPool} migrations).");
        }
        if (reportingReplicas * replica.MaxPoolSize > budget.Usable)
        {
            problems.Add($"{reportingReplicas} reporting instances may open {reportingReplicas * replica.MaxPoolSize} connections to one standby; " +
                $"max_connections={maxConnections} leaves {budget.Usable}.");
        }
        return problems;
    }

    /// <summary>
    /// Each AppHost service's workload has what the issue asks of it: probes on /health and /alive, requests, spread over
    /// nodes and zones, a PodDisruptionBudget; api and web an HPA; and the apply stages (data first, then the migrations
    /// Job, then the services).
    /// </summary>
    public static IEnumerable<string> Shape(Manifests manifests, IReadOnlyList<AppHostService> services)
    {
        var problems = new List<string>();
        foreach (var workloadName in services.Where(s => !NotDeployed.ContainsKey(s.Name)).Select(s => s.Workload).Distinct())
        {
            if (Workload(manifests, workloadName) is not { } workload)
            {
                continue;
            }
            var where = $"{Kind(workload)}/{workloadName}";
            var stage = (string?)workload["metadata"]!["labels"]?["shop/stage"];
            var isJob = Kind(workload) == "Job";
            if (stage != (isJob ? "migrations" : "services"))
            {
                problems.Add($"{where} is in apply stage {stage ?? "(none)"}; it should be {(isJob ? "migrations" : "services")} (deploy/README.md).");
            }
            foreach (var container in Containers(workload))
            {
                if (container["resources"]?["requests"] is not { } requests || requests["cpu"] is null || requests["memory"] is null)
                {
                    problems.Add($"{where} requests no CPU or memory.");
                }
                if (!isJob && ((string?)container["readinessProbe"]?["httpGet"]?["path"] != "/health" || (string?)container["livenessProbe"]?["httpGet"]?["path"] != "/alive"))
                {
                    problems.Add($"{where} should be probed for readiness on /health and liveness on /alive.");
                }
            }
            if (isJob)
            {
                continue;
            }
            var keys = (PodSpec(workload)?["topologySpreadConstraints"]?.AsArray() ?? []).Select(c => (string?)c!["topologyKey"]).ToHashSet();
            if (!keys.Contains("kubernetes.io/hostname") || !keys.Contains("topology.kubernetes.io/zone"))
            {
                problems.Add($"{where} is not spread over nodes and zones.");
            }
            var labels = Labels(workload["spec"]!["template"]!["metadata"]!["labels"]);
            if (!manifests.OfKind("PodDisruptionBudget").Any(b => Selects(b["spec"]!["selector"], labels)))
            {
                problems.Add($"{where} has no PodDisruptionBudget.");
            }
        }
        foreach (var name in new[] { "api", "web" })
        {
            if (!manifests.OfKind("HorizontalPodAutoscaler").Any(h => (string?)h["spec"]!["scaleTargetRef"]!["name"] == name))
            {
                problems.Add($"Deployment/{name} has no HorizontalPodAutoscaler.");
            }
        }
        foreach (var other in manifests.Objects.Where(o => Kind(o) is not ("Deployment" or "Job" or "Service" or "PodDisruptionBudget"
            or "HorizontalPodAutoscaler" or "ScaledObject" or "TriggerAuthentication")))
        {
            if (other["metadata"]!["labels"]?["shop/stage"] is { } stage)
            {
                problems.Add($"{Kind(other)}/{Name(other)} is in apply stage {stage}; infrastructure goes first, unlabelled.");
            }
        }
        return problems;
    }

    /// <summary>A number however it was made: parsed from YAML, or set by a test.</summary>
    private static long? Number(JsonNode? node) =>
        node is null ? null : long.Parse(node.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);

    public static IEnumerable<JsonObject> Containers(JsonNode owner) =>
        (PodSpec(owner)?["containers"]?.AsArray() ?? []).Concat(PodSpec(owner)?["initContainers"]?.AsArray() ?? []).OfType<JsonObject>();

    private static JsonNode? PodSpec(JsonNode owner) =>
        Kind(owner) is "Deployment" or "Job" or "StatefulSet" or "DaemonSet" ? owner["spec"]?["template"]?["spec"] : null;
}
