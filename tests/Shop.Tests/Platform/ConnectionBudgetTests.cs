using System.Diagnostics;
using System.Globalization;
using System.Net;
using Npgsql;
using Shop.AppHost.Infrastructure;
using Shop.Tests.Infrastructure;
using Shop.Tests.Orders;
using Xunit.Abstractions;

namespace Shop.Tests.Platform;

/// <summary>A shop of its own with a small <c>max_connections</c> and PgBouncer on, booted once for <see cref="ConnectionBudgetTests"/>.</summary>
public sealed class BudgetShopFixture : IAsyncLifetime
{
    public const int MaxConnections = 40;

    public TestShop Shop { get; } = new(".data/test-budget", portOffset: 3000,
        $"Shop:Database:MaxConnections={MaxConnections}", "Shop:Database:PgBouncer=true");

    public Task InitializeAsync() => Shop.StartAsync();

    public async Task DisposeAsync() => await Shop.DisposeAsync();
}

public sealed class ConnectionBudgetTests(BudgetShopFixture fixture, ITestOutputHelper output) : IClassFixture<BudgetShopFixture>
{
    private const int Requests = 2000;
    // "53300:" with its colon, as Npgsql and Postgres print it: the bare code also matches log timestamps (…T16:42:27.5330000Z).
    private static readonly string[] Refusals = ["too many clients", "53300:", "no more connections allowed"];

    private readonly TestShop shop = fixture.Shop;
    private readonly OrderTraffic traffic = new(fixture.Shop);

    [Fact]
    public async Task Api_instances_reach_the_primary_through_pgbouncer_only()
    {
        using var edge = shop.EdgeClient();
        var run = Guid.NewGuid().ToString("N");
        // Searches no one made before miss both caches, so every instance has used its pool.
        for (var i = 0; i < 10 * TestShop.ApiInstances.Count; i++)
        {
            using var response = await edge.GetAsync($"/api/catalog/items?q=via{run}{i}");
            response.EnsureSuccessStatusCode();
        }

        foreach (var api in TestShop.ApiInstances)
        {
            var remotePorts = RemotePorts(shop.ServiceProcessId(api));
            Assert.True(remotePorts.Contains(shop.Ports.PgBouncer), $"{api} has no connection to PgBouncer: {string.Join(", ", remotePorts)}");
            Assert.DoesNotContain(shop.Ports.Postgres, remotePorts);
        }
    }

    [Fact]
    public async Task Two_thousand_concurrent_catalog_misses_and_orders_stay_within_max_connections()
    {
        int[] products = [.. Enumerable.Range(3001, 20)];
        await traffic.SetStockAsync(products, 1_000_000);
        var run = Guid.NewGuid().ToString("N");
        var orders = Enumerable.Range(0, Requests / 2)
            .Select(i => new OrderRequest($"budget-{run}-{i}", $"budget-{run}-{i}@example.com", [new(products[i % products.Length], 1)]))
            .ToList();

        using var stopSampling = new CancellationTokenSource();
        var sampling = SampleConnectionsAsync(stopSampling.Token);
        using var edge = shop.EdgeClient();
        var clock = Stopwatch.StartNew();
        // All at once: half of them searches that miss the cache (each a query on the primary), half of them orders.
        var searches = Enumerable.Range(0, Requests / 2).Select(i => SearchAsync(edge, $"miss{run}{i}")).ToList();
        var placed = orders.Select(order => OrderTraffic.SendAsync(edge, order)).ToList();
        var searchStatuses = await Task.WhenAll(searches);
        var orderResponses = await Task.WhenAll(placed);
        var burst = clock.Elapsed;
        // A 503 with Retry-After is the shop's back-pressure (a pooled connection did not free up in time on two
        // loaded cores), not a refused connection: the client retries with the same key, as the storefront does.
        var backPressure = orderResponses.Count(r => r.Status == HttpStatusCode.ServiceUnavailable);
        for (var attempt = 0; attempt < 5 && orderResponses.Any(r => r.Status == HttpStatusCode.ServiceUnavailable); attempt++)
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            orderResponses = await Task.WhenAll(orderResponses.Select(r =>
                r.Status == HttpStatusCode.ServiceUnavailable ? OrderTraffic.SendAsync(edge, r.Request) : Task.FromResult(r)));
        }
        var settled = await traffic.SettledAsync([.. orderResponses.Where(r => r.OrderId is not null).Select(r => r.OrderId!.Value)], TimeSpan.FromSeconds(60));
        await stopSampling.CancelAsync();
        var connections = await sampling;
        output.WriteLine($"{Requests} requests answered in {burst.TotalSeconds:F1} s ({backPressure} orders 503 then retried), orders settled after {clock.Elapsed.TotalSeconds:F1} s; " +
            $"primary client backends peaked at {connections.PeakClients} (all of pg_stat_activity at {connections.PeakAll}) over {connections.Samples} samples");

        Assert.All(searchStatuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Empty(orderResponses.Where(r => r.Status != HttpStatusCode.Accepted).Select(r => r.ToString()).Take(10));
        Assert.All(settled.Values, order => Assert.Equal("Confirmed", order.Status));
        Assert.Equal(orders.Count, settled.Count);
        // The services may use what the budget leaves free of Postgres's reserved slots; background processes and the
        // WAL sender show in pg_stat_activity too, but have slots of their own.
        Assert.InRange(connections.PeakClients, 1, BudgetShopFixture.MaxConnections - ConnectionBudget.SuperuserReserved);
        Assert.Empty(RefusalsInLogs());
    }

    private static async Task<HttpStatusCode> SearchAsync(HttpClient edge, string query)
    {
        try
        {
            using var response = await edge.GetAsync($"/api/catalog/items?q={query}");
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private sealed record ConnectionSamples(int PeakClients, int PeakAll, int Samples);

    /// <summary>Counts the primary's backends every 50 ms over one connection of its own (the budget's operations headroom).</summary>
    private async Task<ConnectionSamples> SampleConnectionsAsync(CancellationToken stop)
    {
        await using var db = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        var (peakClients, peakAll, samples) = (0, 0, 0);
        while (!stop.IsCancellationRequested)
        {
            await using (var count = new NpgsqlCommand(
                "SELECT count(*) FILTER (WHERE backend_type = 'client backend'), count(*) FROM pg_stat_activity", connection))
            await using (var reader = await count.ExecuteReaderAsync(CancellationToken.None))
            {
                await reader.ReadAsync(CancellationToken.None);
                peakClients = Math.Max(peakClients, (int)reader.GetInt64(0));
                peakAll = Math.Max(peakAll, (int)reader.GetInt64(1));
                samples++;
            }
            await Task.WhenAny(Task.Delay(50, stop));
        }
        return new ConnectionSamples(peakClients, peakAll, samples);
    }

    /// <summary>Every line in which Postgres or PgBouncer refused a connection, in any resource's output or Postgres's own log folder.</summary>
    private List<string> RefusalsInLogs()
    {
        var serverLogs = Path.Combine(shop.DataDirectory, "postgres", "pgdata", "log");
        var files = Directory.GetFiles(Path.Combine(shop.DataDirectory, "logs"), "*.log")
            .Concat(Directory.Exists(serverLogs) ? Directory.GetFiles(serverLogs) : []);
        return [.. files.SelectMany(file => File.ReadLines(file)
            .Where(line => Refusals.Any(refusal => line.Contains(refusal, StringComparison.OrdinalIgnoreCase)))
            .Select(line => $"{Path.GetFileName(file)}: {line}"))];
    }

    /// <summary>The remote TCP ports of a process's established connections, read from its file descriptors and /proc/net.</summary>
    private static HashSet<int> RemotePorts(int pid)
    {
        var inodes = Directory.GetFiles($"/proc/{pid}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .Where(target => target?.StartsWith("socket:[", StringComparison.Ordinal) == true)
            .Select(target => target![8..^1])
            .ToHashSet();
        const string established = "01";
        return [.. new[] { "tcp", "tcp6" }
            .SelectMany(table => File.ReadLines($"/proc/{pid}/net/{table}").Skip(1))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields[3] == established && inodes.Contains(fields[9]))
            .Select(fields => int.Parse(fields[2].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture))];
    }
}
