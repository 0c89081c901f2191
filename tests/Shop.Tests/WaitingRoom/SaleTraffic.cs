using System.Net;
using System.Net.Http.Json;
using Shop.Tests.Infrastructure;
using StackExchange.Redis;

namespace Shop.Tests.WaitingRoom;

public sealed record WaitingStatusDto(string State, long? Position, long? Ahead, int? EtaSeconds, string? Ticket, string? AdmissionToken,
    DateTimeOffset? AdmittedUntil, string? SaleId, string? QueueMode, bool Paused);

public sealed record SaleStatsDto(long Joined, long Waiting, long Admitted, long Active, long Abandoned, int AdmissionsPerMinute,
    double EffectiveAdmissionsPerMinute, bool Paused);

public sealed record CurrentSaleDto(string? SaleId, string State, bool Enforced, int? AdmissionsPerMinute, int? MaxActiveShoppers, bool Paused);

/// <summary>A shopper in the waiting room who sends its ticket in the header, as clients without cookies do.</summary>
public sealed record Waiter(string Ticket, long? Position);

/// <summary>Creates sales as staff do, joins and polls as shoppers do, straight at one API instance or through the edge.</summary>
public sealed class SaleTraffic(TestShop shop)
{
    /// <summary>One API instance, asked directly. No cookie jar: each join is a new shopper unless a ticket is sent.</summary>
    public HttpClient Instance(int index, int connections = 16) =>
        new(new SocketsHttpHandler { UseCookies = false, MaxConnectionsPerServer = connections }) { BaseAddress = new Uri($"http://localhost:{shop.Ports.ApiBase + index}") };

    /// <summary>The edge, without a cookie jar.</summary>
    public HttpClient Edge() => new(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri($"http://localhost:{shop.Ports.EdgeHttp}") };

    public static string NewSaleId() => $"t-{Guid.NewGuid():N}"[..14];

    /// <summary>Staff's client: the edge's https entrance (admin calls over http are refused), with the admin key.</summary>
    public async Task<HttpClient> AdminAsync()
    {
        var client = shop.EdgeHttpsClient();
        client.DefaultRequestHeaders.Add("X-Admin-Key", await shop.ParameterAsync("admin-key"));
        return client;
    }

    public async Task PutSaleAsync(string saleId, object definition)
    {
        using var admin = await AdminAsync();
        using var response = await admin.PutAsJsonAsync($"/api/admin/sales/{saleId}", definition);
        Assert.True(response.IsSuccessStatusCode, $"PUT sale {saleId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        await EveryInstanceAsync(sale => sale.SaleId == saleId, $"every instance to know sale {saleId}");
    }

    public static object Sale(int admissionsPerMinute = 6000, int maxActive = 1000, string queueMode = "Fifo", string whenRedisDown = "Closed",
        DateTimeOffset? startsAt = null, int sessionMinutes = 10, int abandonAfterSeconds = 120, string name = "Test sale") => new
    {
        name,
        startsAt = startsAt ?? DateTimeOffset.UtcNow.AddMinutes(-1),
        endsAt = DateTimeOffset.UtcNow.AddHours(1),
        admissionsPerMinute,
        maxActiveShoppers = maxActive,
        sessionMinutes,
        queueMode,
        whenRedisDown,
        abandonAfterSeconds,
    };

    /// <summary>
    /// Puts a sale live and hands back its scope: <c>await using var sale = await traffic.StartSaleAsync(...)</c> ends
    /// it when the test leaves, passed or failed, so the next test finds an open store.
    /// </summary>
    public async Task<LiveSale> StartSaleAsync(string saleId, object definition)
    {
        await PutSaleAsync(saleId, definition);
        return new LiveSale(this, saleId);
    }

    /// <summary>The scope of a sale the test puts itself (the put is what it tests): ended when left, as <see cref="StartSaleAsync"/>'s.</summary>
    public LiveSale Ending(string saleId) => new(this, saleId);

    public async Task PauseAsync(string saleId, bool paused)
    {
        using var admin = await AdminAsync();
        using var response = await admin.PostAsync($"/api/admin/sales/{saleId}/{(paused ? "pause" : "resume")}", null);
        response.EnsureSuccessStatusCode();
        await EveryInstanceAsync(sale => sale.Paused == paused, $"every instance to see sale {saleId} {(paused ? "paused" : "resumed")}");
    }

    /// <summary>Ends the sale and waits until no instance gates orders any more, so the next test finds an open store.</summary>
    public async Task EndSaleAsync(string saleId)
    {
        using var admin = await AdminAsync();
        using var response = await admin.DeleteAsync($"/api/admin/sales/{saleId}");
        Assert.True(response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotFound, $"DELETE sale: {(int)response.StatusCode}");
        await EveryInstanceAsync(sale => !sale.Enforced && sale.SaleId != saleId, "every instance to drop the ended sale");
        await StoreOpenAsync();
    }

    /// <summary>
    /// Waits until no API instance gates orders and the storefront, which asks the API at most once a second, no longer
    /// sends a shopper without an admission to the waiting room.
    /// </summary>
    public async Task StoreOpenAsync()
    {
        await EveryInstanceAsync(sale => !sale.Enforced, "every instance to gate no sale");
        using var web = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://localhost:{shop.Ports.Web}") };
        await Poll.UntilAsync(async () =>
        {
            using var home = await web.GetAsync("/");
            return home.StatusCode == HttpStatusCode.OK;
        }, "the storefront to stop sending shoppers to the waiting room");
    }

    public async Task EveryInstanceAsync(Func<CurrentSaleDto, bool> condition, string what)
    {
        for (var i = 0; i < TestShop.ApiInstances.Count; i++)
        {
            using var api = Instance(i);
            await Poll.UntilAsync(async () => condition((await api.GetFromJsonAsync<CurrentSaleDto>("/api/waitingroom/sale"))!), $"{what} (api-{i + 1})");
        }
    }

    public async Task<SaleStatsDto> StatsAsync(string saleId)
    {
        using var admin = await AdminAsync();
        return (await admin.GetFromJsonAsync<SaleStatsDto>($"/api/admin/sales/{saleId}/stats"))!;
    }

    /// <summary>A join as if from client address <paramref name="clientIp"/>: the test stands where the edge stands.</summary>
    public static async Task<HttpResponseMessage> JoinAsync(HttpClient api, string? clientIp = null, string? ticket = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/waitingroom/join");
        if (clientIp is not null)
        {
            request.Headers.Add("X-Forwarded-For", clientIp);
        }
        if (ticket is not null)
        {
            request.Headers.Add("X-Waiting-Ticket", ticket);
        }
        return await api.SendAsync(request);
    }

    public static async Task<Waiter> JoinedAsync(HttpClient api, string clientIp)
    {
        using var response = await JoinAsync(api, clientIp);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"join: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var status = (await response.Content.ReadFromJsonAsync<WaitingStatusDto>())!;
        return new Waiter(status.Ticket!, status.Position);
    }

    public static async Task<WaitingStatusDto> StatusAsync(HttpClient api, string ticket)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/waitingroom/status");
        request.Headers.Add("X-Waiting-Ticket", ticket);
        using var response = await api.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"status: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<WaitingStatusDto>())!;
    }

    public static async Task<WaitingStatusDto> AdmittedAsync(HttpClient api, Waiter waiter)
    {
        WaitingStatusDto status = null!;
        await Poll.UntilAsync(async () => (status = await StatusAsync(api, waiter.Ticket)).State == "Admitted", $"position {waiter.Position} to be admitted");
        return status;
    }

    public static string ClientIp(int i) => $"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}";

    /// <summary>When each position of a sale was admitted, straight from the waiting room's Redis hash.</summary>
    public async Task<SortedDictionary<long, long>> AdmittedAtAsync(string saleId)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("redis"));
        var entries = await redis.GetDatabase().HashGetAllAsync($"wr:{{{saleId}}}:admitted");
        return new SortedDictionary<long, long>(entries.ToDictionary(e => (long)e.Name, e => (long)e.Value));
    }
}

/// <summary>A sale a test made, ended (and every instance waited for) when the scope is left.</summary>
public sealed class LiveSale(SaleTraffic traffic, string saleId) : IAsyncDisposable
{
    public string Id => saleId;

    public async ValueTask DisposeAsync() => await traffic.EndSaleAsync(saleId);
}
