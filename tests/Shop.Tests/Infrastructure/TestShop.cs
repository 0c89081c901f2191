using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Shop.Tests.Infrastructure;

/// <summary>
/// One booted shop (Local mode, real processes) on its own ports and data folder, so tests never collide
/// with a developer's <c>./shop run</c> on the same machine. <paramref name="configuration"/> adds AppHost settings
/// (<c>Key=Value</c>) for a shop laid out differently from the default.
/// </summary>
public sealed class TestShop(string dataDirectory, int portOffset, params string[] configuration) : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    public static readonly string RepositoryRoot = FindRepositoryRoot();

    public string DataDirectory { get; } = Path.Combine(RepositoryRoot, dataDirectory);
    public Ports Ports { get; } = new(portOffset + PortShift);

    /// <summary>
    /// <c>SHOP_TEST_PORT_SHIFT</c> moves every test shop's ports by that much, so two checkouts can run their tests on
    /// one machine at the same time (each has its own data folder already).
    /// </summary>
    private static int PortShift => int.TryParse(Environment.GetEnvironmentVariable("SHOP_TEST_PORT_SHIFT"), out var shift) ? shift : 0;
    public DistributedApplication App { get; private set; } = null!;
    /// <summary>What the dashboard would receive: every .NET service exports its traces and metrics here.</summary>
    public OtlpReceiver Telemetry { get; private set; } = null!;
    public ResourceNotificationService Notifications => App.Services.GetRequiredService<ResourceNotificationService>();

    public static IReadOnlyList<string> ApiInstances { get; } = ["api-1", "api-2", "api-3"];

    /// <summary>Orders:Sweep:StaleAfter of every test shop's API instances.</summary>
    public static readonly TimeSpan SweepStaleAfter = TimeSpan.FromDays(1);

    /// <summary>Exempt from the API's order limit in every test shop; neither Browserlike nor the load test's crowd uses it.</summary>
    public const string RateLimitExemptNetwork = "127.255.0.0/16";

    public static IReadOnlyList<string> OrderWorkers { get; } = ["orderworker-1", "orderworker-2"];

    public static IReadOnlyList<string> LongRunningResources { get; } =
        ["postgres", "postgres-replica", "redis", "cache", "rabbitmq", "blobs", .. ApiInstances, "web", .. OrderWorkers, "reporting", "edge"];

    public bool PgBouncer { get; } = configuration.Contains("Shop:Database:PgBouncer=true", StringComparer.OrdinalIgnoreCase);

    /// <summary>This shop's long-running resources: the default ones, and PgBouncer when it is on.</summary>
    public IReadOnlyList<string> Resources => PgBouncer ? [.. LongRunningResources, "pgbouncer"] : LongRunningResources;

    public async Task StartAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Shop_AppHost>(
            [
                "Shop:Infrastructure=Local",
                $"Shop:DataDirectory={DataDirectory}",
                // Low enough that a test can pile up a backlog of orders in seconds (the waiting room then slows down).
                "Shop:WaitingRoom:BacklogThreshold=200",
                .. Ports.AsConfiguration(),
                .. configuration,
            ],
            (options, _) => options.DisableDashboard = true);
        Telemetry = await OtlpReceiver.StartAsync();
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            // Added after the orchestrator's own OTLP settings, so these win; service name and instance stay its own.
            project.Annotations.Add(new EnvironmentCallbackAnnotation(environment =>
            {
                environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = Telemetry.Endpoint;
                environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                environment["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
                environment["OTEL_BSP_SCHEDULE_DELAY"] = "1000";
                // GET /_endpoints: the hardening tests enumerate every endpoint from it; off outside tests.
                environment["Shop__Diagnostics__EndpointInventory"] = "true";
                // The stale-order sweep looks every second but only at orders older than a day: the orders other tests
                // leave unapplied (answered 503 while the broker was stopped) are not published in the middle of the tests
                // that count publishes. OrderSweepTests makes its order that old instead of waiting.
                environment["Orders__Sweep__Interval"] = "00:00:01";
                environment["Orders__Sweep__StaleAfter"] = SweepStaleAfter.ToString("c");
                // A network whose order requests the API does not count, besides the storefront's 127.0.0.1 (index 0).
                environment["Orders__RateLimitExempt__1"] = RateLimitExemptNetwork;
            }));
        }
        // Resource output goes to files (see ResourceLogFiles); the test log keeps only the AppHost's own errors.
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Error)
            .AddFilter("Shop.AppHost.Resources", LogLevel.None)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));

        App = await builder.BuildAsync();
        var logs = ResourceLogFiles.Capture(App, Path.Combine(DataDirectory, "logs"));
        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            await App.StartAsync(timeout.Token);
            await Task.WhenAll(Resources.Select(r => Notifications.WaitForResourceHealthyAsync(r, timeout.Token)));
            var migrations = await Notifications.WaitForResourceAsync(
                "migrations", e => e.Snapshot.State?.Text == KnownResourceStates.Finished, timeout.Token);
            if (migrations.Snapshot.ExitCode != 0)
            {
                throw new InvalidOperationException($"migrations exited with {migrations.Snapshot.ExitCode}.{Environment.NewLine}{ResourceLogFiles.Tails(logs)}");
            }
        }
        catch (Exception e) when (e is OperationCanceledException or DistributedApplicationException)
        {
            throw new TimeoutException(
                $"The shop did not become healthy within {StartTimeout}: {e.Message}{Environment.NewLine}{ResourceLogFiles.Tails(logs)}", e);
        }
    }

    public HttpClient EdgeClient() => new() { BaseAddress = new Uri($"http://localhost:{Ports.EdgeHttp}") };

    /// <summary>
    /// The edge's https entrance (admin calls go there), trusting exactly the edge's own self-signed certificate as
    /// the AppHost wrote it into the data folder, and nothing else.
    /// </summary>
    public HttpClient EdgeHttpsClient()
    {
        var pem = File.ReadAllText(Path.Combine(DataDirectory, "edge", "tls", "edge.crt"));
        var fields = PemEncoding.Find(pem);
        var expected = Convert.FromBase64String(pem[fields.Base64Data]);
        return new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) =>
                presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(expected) },
        })
        { BaseAddress = new Uri($"https://localhost:{Ports.EdgeHttps}") };
    }

    public async Task<string> ConnectionStringAsync(string resourceName) =>
        await App.GetConnectionStringAsync(resourceName) ?? throw new InvalidOperationException($"{resourceName} has no connection string.");

    public async Task<string> ParameterAsync(string name)
    {
        var parameter = App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>().Single(p => p.Name == name);
        return await parameter.GetValueAsync(default) ?? throw new InvalidOperationException($"{name} has no value.");
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
        if (Telemetry is not null)
        {
            await Telemetry.DisposeAsync();
        }
    }

    /// <summary>The operating-system process behind a resource, as the orchestrator reports it.</summary>
    public int ProcessId(string resource) =>
        Notifications.TryGetCurrentState(resource, out var current)
        && current.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
            ? Convert.ToInt32(pid)
            : throw new InvalidOperationException($"{resource} has no process id.");

    /// <summary>
    /// Stops a resource and waits until its processes are gone. The processes, not the orchestrator's state, are the
    /// judge: the stop command can report a timeout, and the state of a stopped project is not always a terminal one.
    /// </summary>
    public async Task StopAsync(string resource)
    {
        var tree = ProcessTree(ProcessId(resource));
        await App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand);
        await WaitForExitAsync(tree, resource);
    }

    /// <summary>
    /// The process that runs a .NET service. The orchestrator starts projects through <c>dotnet run</c>, so the pid it
    /// reports is a launcher; killing that would orphan the service, not kill it.
    /// </summary>
    public int ServiceProcessId(string resource) =>
        ProcessTree(ProcessId(resource)).Single(pid =>
            Path.GetFileName(File.ReadAllText($"/proc/{pid}/cmdline").Split('\0')[0]).StartsWith("Shop.", StringComparison.Ordinal));

    /// <summary>A process and all its descendants, parents before children.</summary>
    public static IReadOnlyList<int> ProcessTree(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(entry), out var pid))
                {
                    var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                    parents[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited while we looked.
            }
        }
        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(parents.Where(p => p.Value == tree[i]).Select(p => p.Key).Order());
        }
        return tree;
    }

    public static Task WaitForExitAsync(IReadOnlyList<int> processes, string what) =>
        Poll.UntilAsync(() => processes.All(pid => !File.Exists($"/proc/{pid}/stat") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ")),
            $"{what} (pids {string.Join(", ", processes)}) to exit");

    /// <summary>
    /// Stopped as far as starting again is safe: a terminal state, or a state that has not caught up with a process that
    /// is gone (a stopped project does not always reach a terminal state).
    /// </summary>
    private static readonly string?[] TerminalStates = [KnownResourceStates.Exited, KnownResourceStates.Finished, KnownResourceStates.FailedToStart];

    private static bool IsStopped(CustomResourceSnapshot snapshot) =>
        TerminalStates.Contains(snapshot.State?.Text)
        || snapshot.State?.Text != KnownResourceStates.Starting
            && snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
            && !File.Exists($"/proc/{Convert.ToInt32(pid)}/stat");

    /// <summary>
    /// Starts a stopped resource again and waits until it is healthy. The start command is sent only while the
    /// orchestrator sees the resource stopped: sent to a running resource it deletes and re-creates the process, so a
    /// retry that crossed a slow first start would stop the server it had just started.
    /// </summary>
    public async Task StartAgainAsync(string resource)
    {
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        var sent = false;
        await Poll.UntilAsync(async () =>
        {
            var stopped = Notifications.TryGetCurrentState(resource, out var e) && IsStopped(e.Snapshot);
            if (!stopped)
            {
                // Before the first command: the stop (or the kill) has not reached the orchestrator yet. After it: started.
                return sent;
            }
            sent = true;
            return (await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand)).Success;
        }, $"{resource} to be seen stopped and started again");
        // Connections this test process pooled before a database restart are dead; the next test to borrow one would
        // get "terminating connection due to administrator command" (seen in CI after the Postgres outage test).
        Npgsql.NpgsqlConnection.ClearAllPools();
        // Not WaitForResourceHealthyAsync: in CI it gave up on a restarted worker as "failed to start" while `dotnet run`
        // was still launching it, and the worker came up healthy seconds later. The settled state is the judge.
        var state = "unknown";
        try
        {
            await Poll.UntilAsync(() =>
            {
                if (!Notifications.TryGetCurrentState(resource, out var e))
                {
                    return false;
                }
                var failing = e.Snapshot.HealthReports.Where(r => r.Status != HealthStatus.Healthy).Select(r => $"{r.Name}: {r.Status} {r.ExceptionText?.Split('\n')[0]}");
                state = $"{e.Snapshot.State?.Text}, {e.Snapshot.HealthStatus?.ToString() ?? "no health report yet"} [{string.Join("; ", failing)}]";
                return e.Snapshot.State?.Text == KnownResourceStates.Running && e.Snapshot.HealthStatus == HealthStatus.Healthy;
            }, $"{resource} to be running and healthy again", TimeSpan.FromMinutes(3));
        }
        catch (TimeoutException e)
        {
            var stacks = "no process";
            if (ServiceProcessIdOrNull(resource) is { } pid)
            {
                stacks = await ManagedStacks.WriteAsync(pid, Path.Combine(DataDirectory, "logs", $"{resource}-stacks-{pid}.txt"));
            }
            throw new TimeoutException($"{e.Message} Last seen: {state}; {stacks}.", e);
        }
        if (ApiInstances.Contains(resource))
        {
            // Healthy is not yet in rotation: the edge sits out an instance for 5 s after a failed attempt, and a test
            // that starts right away would find it missing (CI: a fault test's victim served nothing before the fault).
            using var edge = EdgeClient();
            await Poll.UntilAsync(async () =>
            {
                try
                {
                    using var response = await edge.GetAsync("/api/instance");
                    return response.Headers.TryGetValues("X-Served-By", out var servedBy) && servedBy.Contains(resource);
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, $"the edge to route to {resource} again", TimeSpan.FromSeconds(30));
        }
    }

    private int? ServiceProcessIdOrNull(string resource)
    {
        try
        {
            return ServiceProcessId(resource);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or KeyNotFoundException)
        {
            return null;
        }
    }

    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Shop.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Shop.sln not found above the test binaries.");
    }
}

/// <summary>The test shop's ports: the defaults moved by an offset, away from a running <c>./shop run</c>.</summary>
public sealed record Ports(int Offset)
{
    public int EdgeHttp => 18080 + Offset;
    public int EdgeHttps => 18443 + Offset;
    public int StaffHttps => 18444 + Offset;
    public int Postgres => 25432 + Offset;
    public int PostgresReplica => 25433 + Offset;
    public int Redis => 26379 + Offset;
    public int RedisCache => 26380 + Offset;
    public int RabbitMQ => 25672 + Offset;
    public int RabbitMQManagement => 25673 + Offset;
    public int RabbitMQDistribution => 25674 + Offset;
    public int RabbitMQEpmd => 25675 + Offset;
    public int Blobs => 20000 + Offset;
    public int PgBouncer => 26432 + Offset;
    public int Reporting => 18090 + Offset;
    public int Web => 15200 + Offset;
    public int ApiBase => 15301 + Offset;

    public IEnumerable<int> All =>
        [EdgeHttp, EdgeHttps, StaffHttps, Postgres, PostgresReplica, Redis, RedisCache, RabbitMQ, RabbitMQManagement, RabbitMQDistribution,
         RabbitMQEpmd, Blobs, PgBouncer, Reporting, Web, ApiBase, ApiBase + 1, ApiBase + 2];

    public IEnumerable<string> AsConfiguration() =>
    [
        $"Shop:Ports:EdgeHttp={EdgeHttp}", $"Shop:Ports:EdgeHttps={EdgeHttps}", $"Shop:Ports:StaffHttps={StaffHttps}",
        $"Shop:Ports:Postgres={Postgres}", $"Shop:Ports:PostgresReplica={PostgresReplica}",
        $"Shop:Ports:Redis={Redis}", $"Shop:Ports:RedisCache={RedisCache}", $"Shop:Ports:RabbitMQ={RabbitMQ}",
        $"Shop:Ports:RabbitMQManagement={RabbitMQManagement}", $"Shop:Ports:RabbitMQDistribution={RabbitMQDistribution}",
        $"Shop:Ports:RabbitMQEpmd={RabbitMQEpmd}", $"Shop:Ports:Blobs={Blobs}", $"Shop:Ports:PgBouncer={PgBouncer}",
        $"Shop:Ports:Reporting={Reporting}",
        $"Shop:Ports:Web={Web}", $"Shop:Ports:ApiBase={ApiBase}",
    ];
}
