using Microsoft.Extensions.Logging;
using Shop.AppHost.Infrastructure;

namespace Shop.Bench;

/// <summary>
/// The whole shop booted as the tests boot it (Local mode, real processes), on a data folder of its own and every
/// port moved by 2000 from the defaults, so a benchmark runs beside <c>./shop run</c> and <c>./shop test</c>.
/// </summary>
public sealed class BenchShop(DistributedApplication app, string dataDirectory, int portOffset) : IAsyncDisposable
{
    private const int BenchPortOffset = 2000;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    public static string BenchDataDirectory { get; } = Path.Combine(Repository.Root, ".data", "bench");

    public string DataDirectory => dataDirectory;

    /// <summary>
    /// New waiting-room joins one client address may make per window (the most the setting allows): wrk joins from
    /// one address, and the default of 20 per 10 s would turn the join figure into a figure of 429s.
    /// </summary>
    private const int JoinLimit = 1_000_000;

    public string EdgeUrl => $"http://127.0.0.1:{new ShopPorts().EdgeHttp + portOffset}";

    /// <summary>Every API instance, directly (not through the edge).</summary>
    public IReadOnlyList<string> ApiUrls => [.. Enumerable.Range(0, new ShopSettings().ApiReplicas)
        .Select(instance => $"http://127.0.0.1:{new ShopPorts().ApiBase + portOffset + instance}")];

    /// <summary>The first API instance, directly (not through the edge).</summary>
    public string ApiUrl => ApiUrls[0];

    public static IReadOnlyList<string> OrderWorkers { get; } = ["orderworker-1", "orderworker-2"];

    public async Task<string> ConnectionStringAsync(string resource) =>
        await app.GetConnectionStringAsync(resource) ?? throw new InvalidOperationException($"{resource} has no connection string.");

    /// <summary>An AppHost parameter's value, such as the <c>admin-key</c>.</summary>
    public async Task<string> ParameterAsync(string name, CancellationToken token)
    {
        var parameter = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>().Single(p => p.Name == name);
        return await parameter.GetValueAsync(token) ?? throw new InvalidOperationException($"{name} has no value.");
    }

    /// <summary>
    /// Stops a resource and waits for its processes to be gone: the orchestrator's pid is the <c>dotnet run</c>
    /// launcher, and the service itself is its child.
    /// </summary>
    public async Task StopAsync(string resource, CancellationToken token)
    {
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        if (!IsRunning(resource))
        {
            return;
        }
        notifications.TryGetCurrentState(resource, out var current);
        var launcher = Convert.ToInt32(current!.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value);
        var tree = Descendants(launcher).Prepend(launcher).ToList();
        await app.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand, token);
        while (tree.Any(pid => File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ")))
        {
            await Task.Delay(100, token);
        }
    }

    /// <summary>
    /// Services and infrastructure that ran and have ended (exited, finished, failed to start), apart from the order
    /// workers (the bench stops them on purpose) and the migrations (done once); one never started (loadtest) is no news.
    /// </summary>
    public IReadOnlyList<string> NotRunning()
    {
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        return
        [
            .. app.Services.GetRequiredService<DistributedApplicationModel>().Resources
                .Where(r => r is ProjectResource or ExecutableResource && r.Name != "migrations" && !OrderWorkers.Contains(r.Name)
                    && notifications.TryGetCurrentState(r.Name, out var current)
                    && current.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state))
                .Select(r => r.Name),
        ];
    }

    private bool IsRunning(string resource) =>
        app.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState(resource, out var current)
        && current.Snapshot.State?.Text == KnownResourceStates.Running;

    /// <summary>
    /// The process of every resource that has one now (Local mode: the infrastructure's and the services' launchers;
    /// the services themselves are their children). A restarted resource has a new one.
    /// </summary>
    public IReadOnlyDictionary<string, int> ResourceProcesses()
    {
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        var processes = new Dictionary<string, int>();
        foreach (var resource in app.Services.GetRequiredService<DistributedApplicationModel>().Resources)
        {
            if (notifications.TryGetCurrentState(resource.Name, out var current)
                && current.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
                && Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture) is > 0 and var id)
            {
                processes[resource.Name] = id;
            }
        }
        return processes;
    }

    private static IEnumerable<int> Descendants(int parent) =>
        Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => int.TryParse(name, out _))
            .Select(int.Parse!)
            .Where(pid => File.Exists($"/proc/{pid}/stat") && ParentOf(pid) == parent)
            .SelectMany(child => Descendants(child).Prepend(child))
            .ToList();

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Starts a stopped resource (one already running is left as it is) and waits until it is healthy.</summary>
    public async Task StartAsync(string resource, CancellationToken token)
    {
        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        while (!IsRunning(resource) && !(await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, token)).Success)
        {
            await Task.Delay(250, token);
        }
        await app.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceHealthyAsync(resource, token);
    }

    /// <summary>The shop the benchmark measures, its telemetry going to a collector of the bench's own.</summary>
    public static async Task<BenchShop> StartAsync(CancellationToken token)
    {
        var telemetry = await BenchTelemetry.StartAsync(token);
        try
        {
            var shop = await StartAsync(BenchDataDirectory, BenchPortOffset, [.. MeasuredShopSettings], token, telemetry.Configure);
            shop.telemetry = telemetry;
            return shop;
        }
        catch
        {
            await telemetry.DisposeAsync();
            throw;
        }
    }

    /// <summary>AppHost settings of the measured shop, on top of Local mode, its data folder and its ports.</summary>
    private static IEnumerable<string> MeasuredShopSettings =>
    [
        $"Shop:WaitingRoom:JoinLimit={JoinLimit}",
    ];

    /// <param name="settings">AppHost configuration on top of Local mode, the data folder and the ports.</param>
    /// <param name="configure">Changes to the model before it is built (such as the telemetry's exporters).</param>
    public static async Task<BenchShop> StartAsync(string dataDirectory, int portOffset, IReadOnlyList<string> settings, CancellationToken token,
        Action<IDistributedApplicationTestingBuilder>? configure = null)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Shop_AppHost>(
            ["Shop:Infrastructure=Local", $"Shop:DataDirectory={dataDirectory}", .. settings, .. OffsetPorts(portOffset)],
            (options, _) => options.DisableDashboard = true,
            token);
        // Resource output goes to files (see CaptureResourceLogs); the console keeps only the AppHost's own errors.
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Error)
            .AddFilter("Shop.AppHost.Resources", LogLevel.None)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));
        configure?.Invoke(builder);

        var shop = new BenchShop(await builder.BuildAsync(token), dataDirectory, portOffset);
        try
        {
            await shop.WaitUntilReadyAsync(token);
            await shop.EndLeftoverSalesAsync(token);
            return shop;
        }
        catch
        {
            await shop.DisposeAsync();
            throw;
        }
    }

    private BenchTelemetry? telemetry;

    /// <summary>How the shop's telemetry was configured and what it sent, for the report; null for a shop without a collector.</summary>
    public string? Telemetry => telemetry is null ? null : $"{BenchTelemetry.Settings}; {telemetry.Summary} so far";

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        if (telemetry is not null)
        {
            await telemetry.DisposeAsync();
        }
    }

    /// <summary>A killed run can leave its sale live, which would gate (403) every order figure of this run.</summary>
    private async Task EndLeftoverSalesAsync(CancellationToken token)
    {
        await using var db = Npgsql.NpgsqlDataSource.Create(await ConnectionStringAsync("postgres"));
        await using var end = db.CreateCommand("UPDATE sales SET ended_at = now() WHERE ended_at IS NULL");
        if (await end.ExecuteNonQueryAsync(token) > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(3), token); // every API instance reloads its sales each second
        }
    }

    // Every Shop:Ports:* setting, so a port added to ShopPorts moves with the rest.
    private static IEnumerable<string> OffsetPorts(int portOffset)
    {
        var defaults = new ShopPorts();
        return typeof(ShopPorts).GetProperties()
            .Select(port => $"Shop:Ports:{port.Name}={(int)port.GetValue(defaults)! + portOffset}");
    }

    private async Task WaitUntilReadyAsync(CancellationToken token)
    {
        var logs = CaptureResourceLogs(Path.Combine(DataDirectory, "logs"));
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(StartTimeout);
        try
        {
            await app.StartAsync(timeout.Token);
            var migrations = await notifications.WaitForResourceAsync("migrations",
                e => e.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state), timeout.Token);
            if (migrations.Snapshot.ExitCode != 0)
            {
                throw new InvalidOperationException($"migrations exited with {migrations.Snapshot.ExitCode}; resource logs: {logs}");
            }
            await Task.WhenAll(model.Resources
                .Where(resource => resource.Annotations.OfType<HealthCheckAnnotation>().Any())
                .Select(resource => notifications.WaitForResourceHealthyAsync(resource.Name, timeout.Token)));
        }
        catch (Exception e) when (!token.IsCancellationRequested && e is OperationCanceledException or DistributedApplicationException)
        {
            throw new TimeoutException($"The shop did not become healthy within {StartTimeout}: {e.Message} Resource logs: {logs}", e);
        }
    }

    /// <remarks>Logs are kept under the orchestrator's instance id, which exists only once a resource is created.</remarks>
    private string CaptureResourceLogs(string folder)
    {
        Directory.CreateDirectory(folder);
        var loggers = app.Services.GetRequiredService<ResourceLoggerService>();
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        _ = Task.Run(async () =>
        {
            var watched = new HashSet<string>();
            await foreach (var change in notifications.WatchAsync())
            {
                if (watched.Add(change.ResourceId))
                {
                    var file = Path.Combine(folder, $"{change.Resource.Name}.log");
                    File.WriteAllText(file, "");
                    _ = Task.Run(async () =>
                    {
                        await foreach (var batch in loggers.WatchAsync(change.ResourceId))
                        {
                            await File.AppendAllLinesAsync(file, batch.Select(line => line.Content));
                        }
                    });
                }
            }
        });
        return folder;
    }
}
