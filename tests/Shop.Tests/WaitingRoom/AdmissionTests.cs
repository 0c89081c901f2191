using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RabbitMQ.Client;
using Shop.Messaging;
using Shop.Tests.Infrastructure;
using Shop.Tests.Orders;
using StackExchange.Redis;

namespace Shop.Tests.WaitingRoom;

/// <summary>Admissions: who may order during a sale, checked by the API and again by the worker; Redis outages; health-driven pace.</summary>
[Collection(ShopCollection.Name)]
public sealed class AdmissionTests(ShopFixture fixture)
{
    private const int Product = 4701;
    private readonly TestShop shop = fixture.Shop;
    private readonly SaleTraffic sales = new(fixture.Shop);
    private readonly OrderTraffic orders = new(fixture.Shop);

    private static OrderRequest NewOrder(int product = Product) => new(Guid.NewGuid().ToString("N"), "wait@example.com", [new OrderItem(product, 1)]);

    private static async Task<OrderResponse> PlaceAsync(HttpClient client, OrderRequest order, string? admission, string? ticket)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(order.Body) };
        request.Headers.Add("Idempotency-Key", order.Key);
        if (admission is not null) request.Headers.Add("X-Admission-Token", admission);
        if (ticket is not null) request.Headers.Add("X-Waiting-Ticket", ticket);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Guid? id = response.StatusCode == HttpStatusCode.Accepted ? JsonDocument.Parse(body).RootElement.GetProperty("orderId").GetGuid() : null;
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        return new OrderResponse(order, response.StatusCode, id, null, body);
    }

    private async Task<long> OrdersWithKeyAsync(OrderRequest order) =>
        await orders.CountAsync("SELECT count(*) FROM orders WHERE idempotency_key = $1", order.Key);

    [Fact]
    public async Task During_a_sale_only_a_valid_admission_with_its_own_ticket_places_one_order()
    {
        await orders.SetStockAsync([Product], 100);
        var passes = new WaitingRoomPasses(await shop.ParameterAsync("waitingroom-key"));
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 6000, maxActive: 100));
        using var api = sales.Instance(0);
        var ana = await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(90_000));
        var ben = await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(90_001));
        var anaAdmission = (await SaleTraffic.AdmittedAsync(api, ana)).AdmissionToken!;
        await SaleTraffic.AdmittedAsync(api, ben);
        Assert.True(passes.TryReadAdmission(anaAdmission, out var claims));
        Assert.True(passes.TryReadTicket(ana.Ticket, out var anaTicket));

        var forgedPayload = anaAdmission.Split('.') is var parts
            ? $"{parts[0]}.{Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(claims with { ExpiresAt = claims.ExpiresAt.AddDays(1) }, JsonSerializerOptions.Web)).TrimEnd('=').Replace('+', '-').Replace('/', '_')}.{parts[2]}"
            : "";
        var otherKey = new WaitingRoomPasses(new string('k', 48));
        var refused = new (string Why, string? Admission, string? Ticket)[]
        {
            ("missing", null, ana.Ticket),
            ("forged payload", forgedPayload, ana.Ticket),
            ("signed with another key", otherKey.Sign(claims), ana.Ticket),
            ("a ticket presented as an admission", ana.Ticket, ana.Ticket),
            ("expired", passes.Sign(claims with { ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) }), ana.Ticket),
            ("for another sale", passes.Sign(claims with { SaleId = "another-sale" }), passes.Sign(anaTicket with { SaleId = "another-sale" })),
            ("with another shopper's ticket", anaAdmission, ben.Ticket),
            ("without its ticket", anaAdmission, null),
        };
        using var edge = shop.EdgeClient();
        foreach (var (why, admission, ticket) in refused)
        {
            var order = NewOrder();
            var answer = await PlaceAsync(edge, order, admission, ticket);
            Assert.True(answer.Status == HttpStatusCode.Forbidden, $"An order {why}: {answer}");
            Assert.Equal(0, await OrdersWithKeyAsync(order));
        }

        var placed = await PlaceAsync(edge, NewOrder(), anaAdmission, ana.Ticket);
        Assert.Equal(HttpStatusCode.Accepted, placed.Status);
        var settled = await orders.SettledAsync([placed.OrderId!.Value], TimeSpan.FromSeconds(30));
        Assert.Equal("Confirmed", settled[placed.OrderId.Value].Status);

        // One admission, one order: a second order with it is refused, a retry of the first is the same order.
        var second = NewOrder();
        Assert.Equal(HttpStatusCode.Forbidden, (await PlaceAsync(edge, second, anaAdmission, ana.Ticket)).Status);
        Assert.Equal(0, await OrdersWithKeyAsync(second));
        var retry = await PlaceAsync(edge, placed.Request, anaAdmission, ana.Ticket);
        Assert.Equal((HttpStatusCode.Accepted, placed.OrderId), (retry.Status, retry.OrderId));
        // Ordering ended Ana's session: her slot is free again.
        await Poll.UntilAsync(async () => (await sales.StatsAsync(saleId)).Active == 1, "Ana's session to end after her order");
    }

    [Fact]
    public async Task The_worker_rejects_a_sale_order_whose_admission_does_not_verify_and_takes_no_stock()
    {
        await orders.SetStockAsync([Product + 1], 10);
        var passes = new WaitingRoomPasses(await shop.ParameterAsync("waitingroom-key"));
        var forger = new WaitingRoomPasses(new string('x', 48));
        var now = DateTimeOffset.UtcNow;
        var claims = new AdmissionClaims("worker-sale", "0123456789abcdef0123456789abcdef", 1, now.AddMinutes(5));
        OrderMessage Message(string token) => new(Guid.CreateVersion7(), null, "test", new OrderCustomer("w@example.com", "W"),
            [new OrderMessageLine(Product + 1, 1, 1m)], 1m, "EUR", now, "worker-sale", token);
        var forged = Message(forger.Sign(claims));
        var expired = Message(passes.Sign(claims with { ExpiresAt = now.AddMinutes(-1) }));
        var valid = Message(passes.Sign(claims));

        await using (var connection = await orders.BrokerAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            foreach (var message in new[] { forged, expired, valid })
            {
                await channel.BasicPublishAsync("", OrderQueue.Name, true, OrderQueue.Properties(message.OrderId), message.ToBytes());
            }
        }
        var settled = await orders.SettledAsync([forged.OrderId, expired.OrderId, valid.OrderId], TimeSpan.FromSeconds(30));
        Assert.Equal(("Rejected", "admission_invalid"), (settled[forged.OrderId].Status, settled[forged.OrderId].Reason));
        Assert.Equal(("Rejected", "admission_invalid"), (settled[expired.OrderId].Status, settled[expired.OrderId].Reason));
        Assert.Equal("Confirmed", settled[valid.OrderId].Status);
        Assert.Equal(9, (await orders.StockAsync([Product + 1]))[Product + 1]);
    }

    [Fact]
    public async Task With_Redis_down_a_Closed_sale_refuses_new_joins_but_honours_admissions_and_an_Open_sale_lets_everyone_through()
    {
        await orders.SetStockAsync([Product + 2], 100);
        var saleId = SaleTraffic.NewSaleId();
        using var edge = shop.EdgeClient();
        await using (await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 6000, whenRedisDown: "Closed")))
        {
            try
            {
                using var api = sales.Instance(0);
                var admitted = await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(91_000));
                var admission = (await SaleTraffic.AdmittedAsync(api, admitted)).AdmissionToken!;

                await ShopRedis.StopAsync(shop);
                for (var i = 0; i < TestShop.ApiInstances.Count; i++)
                {
                    using var instance = sales.Instance(i);
                    await Poll.UntilAsync(async () =>
                    {
                        using var join = await SaleTraffic.JoinAsync(instance, SaleTraffic.ClientIp(91_100 + i));
                        return join.StatusCode == HttpStatusCode.ServiceUnavailable && join.Headers.RetryAfter is not null
                            && join.Content.Headers.ContentType?.MediaType == "application/problem+json";
                    }, $"api-{i + 1} to refuse joins with a 503 while Redis is down");
                }
                Assert.Equal(HttpStatusCode.Forbidden, (await PlaceAsync(edge, NewOrder(Product + 2), null, null)).Status);
                var withAdmission = await PlaceAsync(edge, NewOrder(Product + 2), admission, admitted.Ticket);
                Assert.True(withAdmission.Status == HttpStatusCode.Accepted, $"An issued admission must keep working without Redis: {withAdmission}");

                // Staff switch the policy (sales live in Postgres, so this works without Redis): everyone may shop.
                await sales.PutSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 6000, whenRedisDown: "Open"));
                await sales.EveryInstanceAsync(s => !s.Enforced, "every instance to open the store while Redis is down");
                using var open = await SaleTraffic.JoinAsync(api, SaleTraffic.ClientIp(91_200));
                Assert.Equal("Open", (await open.Content.ReadFromJsonAsync<WaitingStatusDto>())!.State);
                var anyone = await PlaceAsync(edge, NewOrder(Product + 2), null, null);
                Assert.True(anyone.Status == HttpStatusCode.Accepted, $"An Open sale lets orders through without Redis: {anyone}");
                await orders.SettledAsync([withAdmission.OrderId!.Value, anyone.OrderId!.Value], TimeSpan.FromSeconds(30));
            }
            finally
            {
                await ShopRedis.StartAndWaitForEveryInstanceAsync(shop);
            }
        }
        // Back to normal without a restart: joins work again everywhere.
        var saleAfter = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleAfter, SaleTraffic.Sale());
        for (var i = 0; i < TestShop.ApiInstances.Count; i++)
        {
            using var instance = sales.Instance(i);
            await Poll.UntilAsync(async () =>
            {
                using var join = await SaleTraffic.JoinAsync(instance, SaleTraffic.ClientIp(91_300 + i));
                return join.StatusCode == HttpStatusCode.OK;
            }, $"api-{i + 1} to take joins again after Redis is back");
        }
    }

    [Fact]
    public async Task A_join_while_the_state_store_stalls_for_three_seconds_waits_for_its_place_instead_of_a_503()
    {
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 60, maxActive: 10, whenRedisDown: "Closed"));
        using var api = sales.Instance(0);
        await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(92_000));
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"{await shop.ConnectionStringAsync("redis")},allowAdmin=true");
        // Redis holds every other client's commands for 3 s from its OK on, as a saturated peak makes them wait.
        var stalled = Stopwatch.StartNew();
        await redis.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "3000");

        using var join = await SaleTraffic.JoinAsync(api, SaleTraffic.ClientIp(92_001));
        var body = await join.Content.ReadAsStringAsync();
        Assert.True(join.StatusCode == HttpStatusCode.OK, $"A join that met a slow Redis answered {(int)join.StatusCode}: {body}");
        Assert.True(stalled.Elapsed >= TimeSpan.FromSeconds(3), $"The join was answered {stalled.Elapsed} after the pause began, so it never waited for Redis.");
        Assert.NotNull(JsonSerializer.Deserialize<WaitingStatusDto>(body, JsonSerializerOptions.Web)!.Ticket);
    }

    [Fact]
    public async Task Admission_slows_down_while_orders_pile_up_and_recovers_step_by_step()
    {
        var products = Enumerable.Range(Product + 10, 5).ToArray();
        await orders.SetStockAsync(products, 10_000);
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = sales.Ending(saleId);
        var seen = new SortedSet<double>();
        var recovered = Task.CompletedTask;
        try
        {
            foreach (var worker in TestShop.OrderWorkers)
            {
                await shop.StopAsync(worker);
            }
            // More orders than the test shop's backlog threshold, waiting for workers that are not there.
            var burst = await orders.BurstAsync(OrderTraffic.RandomOrders(400, products[0], products.Length, 1, 1, seed: 7));
            Assert.All(burst, r => Assert.Equal(HttpStatusCode.Accepted, r.Status));

            await sales.PutSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 1000));
            await Poll.UntilAsync(async () => (await sales.StatsAsync(saleId)).EffectiveAdmissionsPerMinute <= 500, "admission to slow down");
            // Watched from now on: restarting the workers below can take as long as the whole recovery (18 s) on a busy machine.
            recovered = Poll.UntilAsync(async () =>
            {
                var rate = (await sales.StatsAsync(saleId)).EffectiveAdmissionsPerMinute;
                seen.Add(rate);
                return rate == 1000;
            }, "admission to recover to the full rate", TimeSpan.FromMinutes(3));
        }
        finally
        {
            foreach (var worker in TestShop.OrderWorkers)
            {
                await shop.StartAgainAsync(worker);
            }
        }
        await recovered;
        Assert.True(seen.Count(r => r is > 100 and < 1000) >= 3, $"Recovery was not step by step: {string.Join(", ", seen)}");
    }
}
