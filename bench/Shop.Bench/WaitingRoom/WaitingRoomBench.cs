using System.Net;
using System.Net.Http.Json;
using Shop.Bench.Cpu;

namespace Shop.Bench.WaitingRoom;

/// <summary>
/// The waiting-room figures, measured during a sale opened for them and ended right after: joins through the edge
/// against the edge's floor doing one Redis INCR (<c>edge.redis</c>), and a waiting shopper's poll (the sale's queue,
/// which the edge answers from its one-second copy) against the edge's plaintext floor (<c>edge.plaintext</c>).
/// </summary>
public sealed class WaitingRoomBench(BenchShop shop, Baseline baseline, CpuMeter meter)
{
    private static readonly TimeSpan SaleVisibleTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The paths the warm-up runs (no sale is open then: a join answers whatever the shop says without one).</summary>
    public IEnumerable<Side> WarmUp() =>
    [
        Side.Wrk("waitingroom.join", shop.EdgeUrl + "/api/waitingroom/join", script: "new-joins.lua"),
        Side.Wrk("edge.redis", baseline.EdgeUrl + Baseline.RedisPath, script: "new-joins.lua"),
        Side.Wrk("waitingroom.status", shop.EdgeUrl + "/api/waitingroom/sales/warm-up/queue"),
    ];

    /// <param name="results">Each figure is added as soon as it is measured.</param>
    public async Task MeasureAsync(ICollection<IMeasurement> results, CancellationToken token)
    {
        // Straight to an instance on this machine: the edge takes the admin key over https only.
        using var admin = new HttpClient { BaseAddress = new Uri(shop.ApiUrl) };
        admin.DefaultRequestHeaders.Add("X-Admin-Key", await shop.ParameterAsync("admin-key", token));
        var saleId = $"bench-{Guid.NewGuid():N}";
        await OpenSaleAsync(admin, saleId, token);
        try
        {
            results.Add(await new Figure("waitingroom.join", "req/s",
                Side.Wrk("waitingroom.join", shop.EdgeUrl + "/api/waitingroom/join", script: "new-joins.lua"),
                Side.Wrk("edge.redis", baseline.EdgeUrl + Baseline.RedisPath, script: "new-joins.lua")).MeasureAsync(meter, token));
            // Joined after the join figure: a place at the back of a long queue, polling as its page does, ticket cookie and all.
            var (ticket, queueUrl) = await JoinAsync(token);
            var cookie = $"Cookie: shop.wr.ticket={ticket}";
            results.Add(await new Figure("waitingroom.status", "req/s",
                Side.Wrk("waitingroom.status", shop.EdgeUrl + queueUrl, header: cookie),
                Side.Wrk("edge.plaintext", baseline.EdgeUrl + Baseline.PlaintextPath, header: cookie)).MeasureAsync(meter, token));
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

    /// <summary>A ticket from one join of a shopper without cookies, and the queue its page then polls.</summary>
    private async Task<(string Ticket, string QueueUrl)> JoinAsync(CancellationToken token)
    {
        using var client = new HttpClient();
        using var joined = await client.PostAsync(shop.EdgeUrl + "/api/waitingroom/join", content: null, token);
        if (!joined.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /api/waitingroom/join answered {(int)joined.StatusCode}: {await joined.Content.ReadAsStringAsync(token)}");
        }
        var status = await joined.Content.ReadFromJsonAsync<JoinStatus>(token);
        return status is { Ticket: { } ticket, QueueUrl: { } queueUrl }
            ? (ticket, queueUrl)
            : throw new InvalidOperationException($"The join gave no ticket or queue (state {status?.State}).");
    }

    private sealed record CurrentSale(string? SaleId, string State);

    private sealed record JoinStatus(string State, string? Ticket, string? QueueUrl);
}
