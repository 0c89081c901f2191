using System.Net;
using System.Net.Http.Json;
using RabbitMQ.Client;
using Shop.Messaging;
using Shop.Tests.Infrastructure;
using Shop.Tests.Orders;

namespace Shop.Tests.WaitingRoom;

/// <summary>A session that has ended (the shopper left, or used its orders) is spent at every door, and frees its slot once.</summary>
[Collection(ShopCollection.Name)]
public sealed class AdmissionEndTests(ShopFixture fixture)
{
    private const int Product = 4881;
    private readonly TestShop shop = fixture.Shop;
    private readonly SaleTraffic sales = new(fixture.Shop);
    private readonly OrderTraffic orders = new(fixture.Shop);

    [Fact]
    public async Task Leaving_spends_the_admission_at_every_door_and_frees_its_slot_once()
    {
        await orders.SetStockAsync([Product], 100);
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 6000, maxActive: 1));
        using var api = sales.Instance(0);
        using var edge = shop.EdgeClient();
        var ana = await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(91_000));
        var anaAdmission = (await SaleTraffic.AdmittedAsync(api, ana)).AdmissionToken!;
        var ben = await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(91_001));

        await LeaveAsync(edge, ana);
        var benAdmission = (await SaleTraffic.AdmittedAsync(api, ben)).AdmissionToken!;

        // Status, on every instance (the one that answered Ana before remembers her admission), mints no new token.
        for (var i = 0; i < TestShop.ApiInstances.Count; i++)
        {
            using var instance = sales.Instance(i);
            var status = await SaleTraffic.StatusAsync(instance, ana.Ticket);
            Assert.True(status is { State: "Expired", AdmissionToken: null }, $"api-{i + 1} says {status}");
        }
        // The storefront sends her back to the waiting room, while Ben shops.
        Assert.Equal(HttpStatusCode.Found, (await StorefrontHomeAsync(anaAdmission, ana.Ticket)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await StorefrontHomeAsync(benAdmission, ben.Ticket)).StatusCode);
        // An order with her admission is refused by the API, and writes nothing.
        var order = new OrderRequest(Guid.NewGuid().ToString("N"), "ana@example.com", [new OrderItem(Product, 1)]);
        using (var refused = await PlaceAsync(edge, order, anaAdmission, ana.Ticket))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Contains("left the waiting room", await refused.Content.ReadAsStringAsync());
        }
        Assert.Equal(0, await orders.CountAsync("SELECT count(*) FROM orders WHERE idempotency_key = $1", order.Key));
        // A message that skips the API is rejected by the worker's re-check, and takes no stock.
        var stock = (await orders.StockAsync([Product]))[Product];
        var message = new OrderMessage(Guid.CreateVersion7(), null, "test", new OrderCustomer("ana@example.com", "Ana"),
            [new OrderMessageLine(Product, 1, 1m)], 1m, "EUR", DateTimeOffset.UtcNow, saleId, anaAdmission);
        await using (var connection = await orders.BrokerAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            await channel.BasicPublishAsync("", OrderQueue.Name, true, OrderQueue.Properties(message.OrderId), message.ToBytes());
        }
        var settled = await orders.SettledAsync([message.OrderId], TimeSpan.FromSeconds(30));
        Assert.Equal(("Rejected", "admission_invalid"), (settled[message.OrderId].Status, settled[message.OrderId].Reason));
        Assert.Equal(stock, (await orders.StockAsync([Product]))[Product]);

        // Leaving again frees nothing more: Ben holds the only slot, and Cleo, next in line, keeps waiting (at 100
        // admissions a second, a freed slot would be hers within a few ticks of 100 ms).
        var cleo = await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(91_002));
        using (var other = sales.Instance(1))
        {
            await LeaveAsync(other, ana);
        }
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal("Waiting", (await SaleTraffic.StatusAsync(api, cleo.Ticket)).State);
        Assert.Equal(1, (await sales.StatsAsync(saleId)).Active);

        // Ben orders (his admission's only order), which ends his session; leaving after it frees nothing more either.
        var benOrder = new OrderRequest(Guid.NewGuid().ToString("N"), "ben@example.com", [new OrderItem(Product, 1)]);
        using (var placed = await PlaceAsync(edge, benOrder, benAdmission, ben.Ticket))
        {
            Assert.Equal(HttpStatusCode.Accepted, placed.StatusCode);
        }
        await SaleTraffic.AdmittedAsync(api, cleo);
        Assert.Equal("Expired", (await SaleTraffic.StatusAsync(api, ben.Ticket)).State);
        await LeaveAsync(edge, ben);
        var stats = await sales.StatsAsync(saleId);
        Assert.Equal((3, 1), (stats.Admitted, stats.Active));

        // A waiter who leaves is never admitted: the slot Cleo frees goes to the one behind.
        var dan = await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(91_003));
        var eve = await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(91_004));
        await LeaveAsync(edge, dan);
        await LeaveAsync(edge, cleo);
        await SaleTraffic.AdmittedAsync(api, eve);
        Assert.Equal("Expired", (await SaleTraffic.StatusAsync(api, dan.Ticket)).State);
        Assert.False((await sales.AdmittedAtAsync(saleId)).ContainsKey(dan.Position!.Value));
    }

    private static async Task LeaveAsync(HttpClient client, Waiter waiter)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/waitingroom/leave");
        request.Headers.Add("X-Waiting-Ticket", waiter.Ticket);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private async Task<HttpResponseMessage> StorefrontHomeAsync(string admission, string ticket)
    {
        using var web = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://localhost:{shop.Ports.Web}") };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("Cookie", $"shop.wr.admission={admission}; shop.wr.ticket={ticket}");
        var response = await web.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static Task<HttpResponseMessage> PlaceAsync(HttpClient client, OrderRequest order, string admission, string ticket)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(order.Body) };
        request.Headers.Add("Idempotency-Key", order.Key);
        request.Headers.Add("X-Admission-Token", admission);
        request.Headers.Add("X-Waiting-Ticket", ticket);
        return client.SendAsync(request);
    }
}
