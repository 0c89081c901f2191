using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Shop.AppHost.Infrastructure;

namespace Shop.Testing;

/// <summary>
/// One shop booted from the AppHost (Local mode, real processes) on a data folder and ports of its own, as the tests and
/// the bench boot it: start it, stop and start its resources, find their processes, end it.
/// </summary>
/// <param name="dataDirectory">The data folder, absolute.</param>
/// <param name="settings">AppHost settings (<c>Key=Value</c>) on top of Local mode, the data folder and the ports.</param>
public class BootedShop(string dataDirectory, ShopPorts ports, IReadOnlyList<string> settings) : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    /// <summary>The folder that holds Shop.sln, found above the running binaries.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static IReadOnlyList<string> ApiInstances { get; } = [.. Enumerable.Range(1, new ShopSettings().ApiReplicas).Select(i => $"api-{i}")];

    public static IReadOnlyList<string> OrderWorkers { get; } = [.. Enumerable.Range(1, new ShopSettings().OrderWorkers).Select(i => $"orderworker-{i}")];

    public string DataDirectory { get; } = dataDirectory;
    public ShopPorts Ports { get; } = ports;
    public string LogDirectory => Path.Combine(DataDirectory, "logs");

    public DistributedApplication App { get; private set; } = null!;
    public ResourceNotificationService Notifications => App.Services.GetRequiredService<ResourceNotificationService>();

    /// <summary>
    /// Boots the shop and waits until every resource with a health check is healthy and the migrations have finished.
    /// Resource output goes to <see cref="LogDirectory"/>, one file per resource.
    /// </summary>
    /// <param name="configure">Changes to the model before it is built (such as where telemetry goes).</param>
    public async Task BootAsync(Action<IDistributedApplicationTestingBuilder>? configure = null, CancellationToken token = default)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Shop_AppHost>(
            ["Shop:Infrastructure=Local", $"Shop:DataDirectory={DataDirectory}", .. Ports.AsConfiguration(), .. settings],
            (options, _) => options.DisableDashboard = true,
            token);
        // Resource output goes to files; the caller's log keeps only the AppHost's own errors.
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Error)
            .AddFilter("Shop.AppHost.Resources", LogLevel.None)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));
        configure?.Invoke(builder);

        App = await builder.BuildAsync(token);
        var logs = ResourceLogFiles.Capture(App, LogDirectory);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(StartTimeout);
        try
        {
            await App.StartAsync(timeout.Token);
            var model = App.Services.GetRequiredService<DistributedApplicationModel>();
            await Task.WhenAll(model.Resources
                .Where(resource => resource.Annotations.OfType<HealthCheckAnnotation>().Any())
                .Select(resource => Notifications.WaitForResourceHealthyAsync(resource.Name, timeout.Token)));
            var migrations = await Notifications.WaitForResourceAsync("migrations",
                e => e.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state), timeout.Token);
            if (migrations.Snapshot.ExitCode != 0)
            {
                throw new InvalidOperationException($"migrations exited with {migrations.Snapshot.ExitCode}.{Environment.NewLine}{ResourceLogFiles.Tails(logs)}");
            }
        }
        catch (Exception e) when (!token.IsCancellationRequested && e is OperationCanceledException or DistributedApplicationException)
        {
            throw new TimeoutException(
                $"The shop did not become healthy within {StartTimeout}: {e.Message}{Environment.NewLine}{ResourceLogFiles.Tails(logs)}", e);
        }
    }

    /// <summary>A run that stopped half-way may have left a sale live, which would gate (403) every order of this one.</summary>
    public async Task EndLeftoverSalesAsync(CancellationToken token = default)
    {
        await using var db = Npgsql.NpgsqlDataSource.Create(await ConnectionStringAsync("postgres"));
        await using var end = db.CreateCommand("UPDATE sales SET ended_at = now() WHERE ended_at IS NULL");
        if (await end.ExecuteNonQueryAsync(token) > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(3), token); // every API instance reloads its sales each second
        }
    }

    public HttpClient EdgeClient() => new() { BaseAddress = new Uri($"http://localhost:{Ports.EdgeHttp}") };

    public async Task<string> ConnectionStringAsync(string resourceName) =>
        await App.GetConnectionStringAsync(resourceName) ?? throw new InvalidOperationException($"{resourceName} has no connection string.");

    /// <summary>An AppHost parameter's value, such as the <c>admin-key</c>.</summary>
    public async Task<string> ParameterAsync(string name, CancellationToken token = default)
    {
        var parameter = App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>().Single(p => p.Name == name);
        return await parameter.GetValueAsync(token) ?? throw new InvalidOperationException($"{name} has no value.");
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>The operating-system process behind a resource, as the orchestrator reports it.</summary>
    public int ProcessId(string resource) =>
        Notifications.TryGetCurrentState(resource, out var current)
        && current.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
            ? Convert.ToInt32(pid)
            : throw new InvalidOperationException($"{resource} has no process id.");

    /// <summary>
    /// The process of every resource that has one now (the infrastructure's and the services' launchers; the services
    /// themselves are their children). A restarted resource has a new one.
    /// </summary>
    public IReadOnlyDictionary<string, int> ResourceProcesses()
    {
        var processes = new Dictionary<string, int>();
        foreach (var resource in App.Services.GetRequiredService<DistributedApplicationModel>().Resources)
        {
            if (Notifications.TryGetCurrentState(resource.Name, out var current)
                && current.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
                && Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture) is > 0 and var id)
            {
                processes[resource.Name] = id;
            }
        }
        return processes;
    }

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
        // Connections pooled before a database restart are dead: the next borrower would get "terminating connection
        // due to administrator command".
        Npgsql.NpgsqlConnection.ClearAllPools();
        // The settled state is the judge, not WaitForResourceHealthyAsync: that can give up on a worker as "failed to
        // start" while `dotnet run` is still launching it.
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
                stacks = await ManagedStacks.WriteAsync(pid, Path.Combine(LogDirectory, $"{resource}-stacks-{pid}.txt"));
            }
            throw new TimeoutException($"{e.Message} Last seen: {state}; {stacks}.", e);
        }
        if (ApiInstances.Contains(resource))
        {
            // Healthy is not yet in rotation: the edge sits out an instance for 5 s after a failed attempt.
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
        throw new InvalidOperationException("Shop.sln not found above the running binaries.");
    }
}
