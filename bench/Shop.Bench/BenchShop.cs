using Shop.AppHost.Infrastructure;

namespace Shop.Bench;

/// <summary>
/// The whole shop booted as the tests boot it (the one harness in tests/Shop.Testing), on a data folder of its own and
/// every port moved by 2000 from the defaults, so a benchmark runs beside <c>./shop run</c> and <c>./shop test</c>.
/// </summary>
public sealed class BenchShop(string dataDirectory, int portOffset, IReadOnlyList<string> settings)
    : BootedShop(dataDirectory, ShopPortLayout.Moved(portOffset), settings)
{
    private const int BenchPortOffset = 2000;

    public static string BenchDataDirectory { get; } = Path.Combine(RepositoryRoot, ".data", "bench");

    /// <summary>
    /// New waiting-room joins one client address may make per window (the most the setting allows): wrk joins from
    /// one address, and the default of 20 per 10 s would turn the join figure into a figure of 429s.
    /// </summary>
    private const int JoinLimit = 1_000_000;

    public string EdgeUrl => $"http://127.0.0.1:{Ports.EdgeHttp}";

    /// <summary>Every API instance, directly (not through the edge).</summary>
    public IReadOnlyList<string> ApiUrls => [.. Enumerable.Range(0, new ShopSettings().ApiReplicas)
        .Select(instance => $"http://127.0.0.1:{Ports.ApiBase + instance}")];

    /// <summary>The first API instance, directly (not through the edge).</summary>
    public string ApiUrl => ApiUrls[0];

    /// <summary>Stops a resource that is running (one already stopped is left as it is) and waits for its processes to be gone.</summary>
    public async Task StopIfRunningAsync(string resource)
    {
        if (Notifications.TryGetCurrentState(resource, out var current) && current.Snapshot.State?.Text == KnownResourceStates.Running)
        {
            await StopAsync(resource);
        }
    }

    /// <summary>
    /// Services and infrastructure that ran and have ended (exited, finished, failed to start), apart from the order
    /// workers (the bench stops them on purpose) and the migrations (done once); one never started (loadtest) is no news.
    /// </summary>
    public IReadOnlyList<string> NotRunning() =>
    [
        .. App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Where(r => r is ProjectResource or ExecutableResource && r.Name != "migrations" && !OrderWorkers.Contains(r.Name)
                && Notifications.TryGetCurrentState(r.Name, out var current)
                && current.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state))
            .Select(r => r.Name),
    ];

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
        var shop = new BenchShop(dataDirectory, portOffset, settings);
        try
        {
            await shop.BootAsync(configure, token);
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

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (telemetry is not null)
        {
            await telemetry.DisposeAsync();
        }
    }
}
