using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using StackExchange.Redis;

namespace Shop.Bench.WaitingRoom;

/// <summary>
/// The waiting-room figures, measured during a sale opened for them and ended right after: joins through the edge
/// against raw INCRs on the same Redis (a join is a few Redis calls), and status polls, which each API instance
/// answers from memory, against the bare-Kestrel baseline.
/// </summary>
public sealed class WaitingRoomBench(BenchShop shop, Baseline baseline)
{
    public const int IncrRequests = 200_000;
    private static readonly TimeSpan SaleVisibleTimeout = TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<IMeasurement>> MeasureAsync(CancellationToken token)
    {
        using var admin = new HttpClient { BaseAddress = new Uri(shop.EdgeUrl) };
        admin.DefaultRequestHeaders.Add("X-Admin-Key", await shop.ParameterAsync("admin-key", token));
        var saleId = $"bench-{Guid.NewGuid():N}";
        await OpenSaleAsync(admin, saleId, token);
        try
        {
            Console.WriteLine("Measuring redis.incr, then waitingroom.join ...");
            var incr = await IncrAsync(token);
            var join = await Wrk.MeasureAsync(shop.EdgeUrl + "/api/waitingroom/join", token, script: "new-joins.lua");
            // Joined after the join figure: a place at the back of a long queue, so every poll answers "Waiting".
            var status = new Figure("waitingroom.status", "/api/waitingroom/status", Header: $"X-Waiting-Ticket: {await TicketAsync(token)}");
            return
            [
                new LoadMeasurement("waitingroom.join", join.ToLoadRun(), "redis.incr", incr, "req/s"),
                await status.MeasureAsync(shop.EdgeUrl, baseline, token),
            ];
        }
        finally
        {
            // Even after a failure or an interrupt: the data folder stays, and a live sale would gate the next run's orders.
            using var ended = await admin.DeleteAsync($"/api/admin/sales/{saleId}", CancellationToken.None);
            if (!ended.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"Could not end the sale {saleId} ({(int)ended.StatusCode}): it gates orders in .data/bench for the next hour.");
            }
        }
    }

    /// <summary>Opens a sale that is live now, and waits until every API instance has picked it up (each reloads its sales every second).</summary>
    private async Task OpenSaleAsync(HttpClient admin, string saleId, CancellationToken token)
    {
        var now = DateTimeOffset.UtcNow;
        using var created = await admin.PutAsJsonAsync($"/api/admin/sales/{saleId}", new
        {
            name = "Bench sale",
            startsAt = now.AddMinutes(-1),
            endsAt = now.AddHours(1),
            admissionsPerMinute = 60,
            maxActiveShoppers = 100,
            sessionMinutes = 10,
            queueMode = "Fifo",
            whenRedisDown = "Closed",
        }, token);
        if (!created.IsSuccessStatusCode)
        {
            throw new InvalidOperationException(
                $"PUT /api/admin/sales/{saleId} answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync(token)}");
        }

        using var api = new HttpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(SaleVisibleTimeout);
        foreach (var instance in shop.ApiUrls)
        {
            while (await api.GetFromJsonAsync<CurrentSale>($"{instance}/api/waitingroom/sale", timeout.Token) is not { State: "Live" } sale
                   || sale.SaleId != saleId)
            {
                await Task.Delay(100, timeout.Token);
            }
        }
    }

    /// <summary>A ticket from one join of a shopper without cookies.</summary>
    private async Task<string> TicketAsync(CancellationToken token)
    {
        using var client = new HttpClient();
        using var joined = await client.PostAsync(shop.EdgeUrl + "/api/waitingroom/join", content: null, token);
        if (!joined.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /api/waitingroom/join answered {(int)joined.StatusCode}: {await joined.Content.ReadAsStringAsync(token)}");
        }
        var status = await joined.Content.ReadFromJsonAsync<JoinStatus>(token);
        return status?.Ticket ?? throw new InvalidOperationException($"The join gave no ticket (state {status?.State}).");
    }

    /// <summary>Raw INCRs with redis-benchmark on the shop's Redis, as many connections as wrk opens.</summary>
    private async Task<LoadRun> IncrAsync(CancellationToken token)
    {
        var redis = ConfigurationOptions.Parse(await shop.ConnectionStringAsync("redis"));
        var (host, port) = redis.EndPoints.Single() switch
        {
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            DnsEndPoint dns => (dns.Host, dns.Port),
            var other => throw new InvalidOperationException($"Unexpected Redis endpoint {other}."),
        };
        string[] settings = ["-t", "incr", "-c", $"{Wrk.Connections}", "-n", $"{IncrRequests}", "--csv"];
        // redis-benchmark 7.0 takes the password only as an argument (it ignores REDISCLI_AUTH); the report leaves it out.
        var (exitCode, output) = await LoadTool.RunAsync("redis-benchmark",
            ["-h", host, "-p", $"{port}", "-a", redis.Password ?? "", .. settings], token);
        var report = $"redis-benchmark -h {host} -p {port} -a *** {string.Join(' ', settings)} (exit code {exitCode})\n{output}";

        // --csv: a header row ("test","rps",...,"p50_latency_ms",...,"p99_latency_ms",...) and one row per test.
        var rows = output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(',').Select(cell => cell.Trim('"')).ToArray())
            .ToList();
        if (exitCode != 0 || rows.FirstOrDefault(row => row[0] == "test") is not { } header || rows.FirstOrDefault(row => row[0] == "INCR") is not { } incr)
        {
            return new LoadRun(0, 0, 0, 0, 0, report);
        }
        double Column(string name) => double.Parse(incr[Array.IndexOf(header, name)], CultureInfo.InvariantCulture);
        return new LoadRun(Column("rps"), Column("p50_latency_ms"), Column("p99_latency_ms"), IncrRequests, 0, report);
    }

    private sealed record CurrentSale(string? SaleId, string State);

    private sealed record JoinStatus(string State, string? Ticket);
}
