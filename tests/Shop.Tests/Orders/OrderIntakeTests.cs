using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Orders;

[Collection(ShopCollection.Name)]
public sealed class OrderIntakeTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;
    private readonly OrderTraffic traffic = new(fixture.Shop);

    private static string NewKey() => Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Accepted_order_is_priced_by_the_server_and_settles_as_confirmed()
    {
        await traffic.SetStockAsync([4601, 4602], 50);
        using var edge = shop.EdgeClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders")
        {
            // A client's prices and totals are ignored: the server prices every line itself.
            Content = JsonContent.Create(new
            {
                customer = new { email = "ana@example.com", name = "Ana" },
                items = new object[] { new { productId = 4601, quantity = 2, unitPrice = 0.01m }, new { productId = 4602, quantity = 1, price = 0.01m } },
                total = 0.02m,
            }),
        };
        request.Headers.Add("Idempotency-Key", NewKey());

        using var response = await edge.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = (await response.Content.ReadFromJsonAsync<OrderAcceptedDto>())!;
        Assert.Equal("Accepted", accepted.Status);
        Assert.Equal($"/api/orders/{accepted.OrderId}", accepted.StatusUrl);
        Assert.Equal(accepted.StatusUrl, response.Headers.Location?.OriginalString);

        var products = new Dictionary<int, JsonElement>();
        foreach (var id in new[] { 4601, 4602 })
        {
            products[id] = await edge.GetFromJsonAsync<JsonElement>($"/api/catalog/items/{id}");
        }
        OrderLineDto Line(int id, int quantity) => new(id, products[id].GetProperty("sku").GetString()!, products[id].GetProperty("name").GetString()!,
            quantity, products[id].GetProperty("price").GetDecimal());
        OrderStatusDto? status = null;
        await Poll.UntilAsync(async () =>
        {
            status = await edge.GetFromJsonAsync<OrderStatusDto>(accepted.StatusUrl);
            return status!.Status == "Confirmed";
        }, "the order to be confirmed");
        Assert.Equal([Line(4601, 2), Line(4602, 1)], status!.Lines);
        Assert.Equal(2 * Line(4601, 1).UnitPrice + Line(4602, 1).UnitPrice, status.Total);
        Assert.Equal("EUR", status.Currency);
        Assert.Null(status.Reason);
    }

    [Fact]
    public async Task Order_status_is_accepted_before_the_worker_has_run()
    {
        // Stopping both workers holds the order in the queue, so the status can only be the one intake wrote.
        foreach (var worker in TestShop.OrderWorkers)
        {
            await shop.StopAsync(worker);
        }
        try
        {
            using var edge = shop.EdgeClient();
            using var response = await OrderTraffic.PostAsync(edge, new OrderRequest(NewKey(), "early@example.com", [new(4603, 1)]));
            var accepted = (await response.Content.ReadFromJsonAsync<OrderAcceptedDto>())!;
            var status = await edge.GetFromJsonAsync<OrderStatusDto>(accepted.StatusUrl);
            Assert.Equal("Accepted", status!.Status);
            Assert.Equal([4603], status.Lines.Select(l => l.ProductId));
        }
        finally
        {
            foreach (var worker in TestShop.OrderWorkers)
            {
                await shop.StartAgainAsync(worker);
            }
        }
    }

    [Fact]
    public async Task Twenty_concurrent_copies_of_one_order_are_one_order()
    {
        var order = new OrderRequest(NewKey(), "twenty@example.com", [new(4604, 1), new(4605, 2)]);
        using var edge = shop.EdgeClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using var response = await OrderTraffic.PostAsync(edge, order);
            return (response.StatusCode, Body: await response.Content.ReadFromJsonAsync<OrderAcceptedDto>());
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var orderId = Assert.Single(responses.Select(r => r.Body!.OrderId).Distinct());
        Assert.Equal(1, await traffic.CountAsync("SELECT count(*) FROM orders WHERE idempotency_key = $1", order.Key));
        await traffic.SettledAsync([orderId], TimeSpan.FromSeconds(30));
        Assert.Equal(1, await traffic.CountAsync("SELECT count(*) FROM applied_orders WHERE order_id = $1", orderId));
    }

    [Fact]
    public async Task Same_key_with_another_body_is_a_422_problem()
    {
        var key = NewKey();
        using var edge = shop.EdgeClient();
        using var first = await OrderTraffic.PostAsync(edge, new OrderRequest(key, "same@example.com", [new(4606, 1)]));
        using var again = await OrderTraffic.PostAsync(edge, new OrderRequest(key, "same@example.com", [new(4606, 1)]));
        using var other = await OrderTraffic.PostAsync(edge, new OrderRequest(key, "same@example.com", [new(4606, 2)]));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal((await first.Content.ReadFromJsonAsync<OrderAcceptedDto>())!.OrderId, (await again.Content.ReadFromJsonAsync<OrderAcceptedDto>())!.OrderId);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, await traffic.CountAsync("SELECT count(*) FROM orders WHERE idempotency_key = $1", key));
    }

    public static TheoryData<string, string?, string, string> BadOrders => new()
    {
        { "missing key", null, """{"customer":{"email":"a@example.com","name":"A"},"items":[{"productId":1,"quantity":1}]}""", "Idempotency-Key" },
        { "key too long", new string('k', 65), """{"customer":{"email":"a@example.com","name":"A"},"items":[{"productId":1,"quantity":1}]}""", "Idempotency-Key" },
        { "key with a space", "two words", """{"customer":{"email":"a@example.com","name":"A"},"items":[{"productId":1,"quantity":1}]}""", "Idempotency-Key" },
        { "unknown product", "key", """{"customer":{"email":"a@example.com","name":"A"},"items":[{"productId":1,"quantity":1},{"productId":999999,"quantity":1}]}""", "items[1].productId" },
        { "quantity 0", "key", """{"customer":{"email":"a@example.com","name":"A"},"items":[{"productId":1,"quantity":0}]}""", "items[0].quantity" },
        { "quantity 11", "key", """{"customer":{"email":"a@example.com","name":"A"},"items":[{"productId":1,"quantity":11}]}""", "items[0].quantity" },
        { "quantity not a number", "key", """{"customer":{"email":"a@example.com","name":"A"},"items":[{"productId":1,"quantity":"two"}]}""", "items[0].quantity" },
        { "malformed JSON", "key", """{"customer":{"email":"a@example.com","name":"A"},"items":[{"productId":1,""", "items[0]" },
        { "not JSON at all", "key", "order please", "body" },
        { "missing email", "key", """{"customer":{"name":"A"},"items":[{"productId":1,"quantity":1}]}""", "customer.email" },
        { "not an email", "key", """{"customer":{"email":"nobody","name":"A"},"items":[{"productId":1,"quantity":1}]}""", "customer.email" },
        { "missing customer", "key", """{"items":[{"productId":1,"quantity":1}]}""", "customer" },
        { "no items", "key", """{"customer":{"email":"a@example.com","name":"A"},"items":[]}""", "items" },
        { "product twice", "key", """{"customer":{"email":"a@example.com","name":"A"},"items":[{"productId":1,"quantity":1},{"productId":1,"quantity":2}]}""", "items[1].productId" },
        { "21 lines", "key", $$"""{"customer":{"email":"a@example.com","name":"A"},"items":[{{string.Join(",", Enumerable.Range(1, 21).Select(i => $$"""{"productId":{{i}},"quantity":1}"""))}}]}""", "items" },
    };

    [Theory]
    [MemberData(nameof(BadOrders))]
    public async Task Bad_order_is_a_4xx_problem_naming_the_field_and_writes_nothing(string why, string? key, string body, string field)
    {
        var uniqueKey = key == "key" ? NewKey() : key;
        var before = await traffic.CountAsync("SELECT count(*) FROM orders");
        using var edge = shop.EdgeClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (uniqueKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", uniqueKey);
        }

        using var response = await edge.SendAsync(request);

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity, $"{why}: {response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{why}: the problem does not name {field}: {problem}");
        Assert.Equal(before, await traffic.CountAsync("SELECT count(*) FROM orders"));
    }

    [Fact]
    public async Task Order_sent_as_a_form_is_a_415_problem()
    {
        using var edge = shop.EdgeClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new FormUrlEncodedContent([new("productId", "1")]) };
        request.Headers.Add("Idempotency-Key", NewKey());
        using var response = await edge.SendAsync(request);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000001", HttpStatusCode.NotFound)]
    [InlineData("not-an-order", HttpStatusCode.BadRequest)]
    public async Task Unknown_or_malformed_order_id_is_a_problem(string id, HttpStatusCode expected)
    {
        using var edge = shop.EdgeClient();
        using var response = await edge.GetAsync($"/api/orders/{id}");
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
