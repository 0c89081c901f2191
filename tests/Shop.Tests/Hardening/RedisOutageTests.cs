using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Shop.Tests.Infrastructure;
using Shop.Tests.Orders;
using Shop.Tests.WaitingRoom;
using Xunit.Abstractions;

namespace Shop.Tests.Hardening;

/// <summary>
/// Redis stopped for 60 s during a live sale whose policy is Closed, under load through the edge: the catalog keeps
/// answering from Postgres, new joins get 503 + Retry-After while admitted shoppers keep shopping, carts answer 503 with
/// a page that says so, and everything works again once Redis is back, without restarting anything.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed partial class RedisOutageTests(ShopFixture fixture, ITestOutputHelper output)
{
    private const int FirstProduct = 4701;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(60);

    private readonly TestShop shop = fixture.Shop;
    private readonly SaleTraffic sales = new(fixture.Shop);
    private readonly OrderTraffic orders = new(fixture.Shop);

    [Fact]
    public async Task Redis_stopped_for_60_seconds_under_load_costs_no_5xx_but_the_policys_503s_and_recovers_without_a_restart()
    {
        await orders.SetStockAsync(Enumerable.Range(FirstProduct, 20), 100_000);
        var processes = ServiceProcesses();
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 6000, whenRedisDown: "Closed"));
        using var edge = shop.EdgeClient();
        var shoppers = Enumerable.Range(0, 4).Select(i => FaultTraffic.Client(shop.Ports.EdgeHttp, new IPAddress([127, 3, 0, (byte)(i + 1)]), new CookieContainer())).ToList();
        // Orders once, during the outage: its admission is then used up, so it is not one of the shoppers browsing on.
        var orderer = FaultTraffic.Client(shop.Ports.EdgeHttp, new IPAddress([127, 3, 0, 9]), new CookieContainer());
        // New shoppers joining from addresses of their own, below the per-address join limit (20 per 10 s).
        var joiners = Enumerable.Range(0, 2).Select(i => FaultTraffic.Client(shop.Ports.EdgeHttp, new IPAddress([127, 3, 1, (byte)(i + 1)]))).ToList();
        await using var traffic = new FaultTraffic();
        TimeSpan down, up, recovered;
        try
        {
            foreach (var shopper in shoppers.Append(orderer))
            {
                await AdmitAsync(shopper);
            }
            ShopperLoad.AddCatalogLanes(traffic, edge, lanes: 8);
            foreach (var (shopper, index) in shoppers.Select((s, i) => (s, i)))
            {
                traffic.Lane(n => ShopAsync(traffic, shopper, FirstProduct + (index * 5 + n) % 20));
            }
            foreach (var joiner in joiners)
            {
                traffic.Lane(async _ =>
                {
                    await traffic.SendAsync("join", joiner, new HttpRequestMessage(HttpMethod.Post, "/api/waitingroom/join"));
                    await Task.Delay(700);
                });
            }
            await traffic.WaitForAsync(300, "the load to get going");

            await ShopRedis.StopAsync(shop);
            down = traffic.Now;
            await Task.Delay(Outage / 2);
            // An admission issued before the outage is checked by its signature: its order goes through.
            var order = OrderTraffic.RandomOrders(1, FirstProduct, 20, 1, 1, seed: 47)[0];
            var placed = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(order.Body) };
            placed.Headers.Add("Idempotency-Key", order.Key);
            var admitted = await traffic.SendAsync("order", orderer, placed);
            Assert.True(admitted.Status == 202, $"An admitted shopper's order during the outage: {admitted}");
            await Task.Delay(Outage / 2);
            up = traffic.Now;
        }
        finally
        {
            await ShopRedis.StartAndWaitForEveryInstanceAsync(shop);
        }
        try
        {
            // The storefront's own connection to Redis comes back by itself (it retries with back-off).
            await Poll.UntilAsync(async () => (await shoppers[3].GetAsync("/cart")).StatusCode == HttpStatusCode.OK, "the storefront's carts to be back");
            // Each API instance re-reads the queue every 500 ms: after that, Redis counts as up everywhere.
            recovered = traffic.Now + TimeSpan.FromSeconds(1);
            await Task.Delay(TimeSpan.FromSeconds(6));
            var exchanges = await traffic.StopAsync();
            output.WriteLine($"Redis down for {(up - down).TotalSeconds:0} s under load: {exchanges.Count} requests. {FaultTraffic.Summary(exchanges)}");
            output.WriteLine($"While down: {FaultTraffic.Summary(exchanges.Where(e => e.Sent > down && e.Answered < up))}");

            Assert.All(exchanges, e => Assert.False(e.Status is 0 || e.Status >= 500 && e.Status != 503, e.ToString()));
            Assert.All(exchanges.Where(e => e.Kind is ShopperLoad.Catalog or "page"), e => Assert.True(e.Status == 200, e.ToString()));
            Assert.All(exchanges.Where(e => e.Kind == "cart-add"), e => Assert.True(e.Status is 302 or 503, e.ToString()));
            Assert.All(exchanges.Where(e => e.Kind == "cart"), e => Assert.True(e.Status is 200 or 503, e.ToString()));
            Assert.All(exchanges.Where(e => e.Kind is "cart-add" or "cart" && e.Status == 503), e =>
                Assert.True(e.RetryAfter is not null && e.Body.Contains("Your cart cannot be reached"), e.ToString()));
            Assert.Contains(exchanges, e => e.Kind == "cart-add" && e.Status == 503);
            Assert.All(exchanges.Where(e => e.Kind == "join"), e => Assert.True(e.Status is 200 or 503, e.ToString()));
            Assert.All(exchanges.Where(e => e.Kind == "join" && e.Status == 503), e => Assert.NotNull(e.RetryAfter));
            // The policy: Closed while Redis is down, open again as soon as every instance has it back.
            var joinsWhileDown = exchanges.Where(e => e.Kind == "join" && e.Sent > down + TimeSpan.FromSeconds(2) && e.Answered < up).ToList();
            Assert.NotEmpty(joinsWhileDown);
            Assert.All(joinsWhileDown, e => Assert.True(e.Status == 503, e.ToString()));
            var afterRecovery = exchanges.Where(e => e.Sent > recovered).ToList();
            Assert.Contains(afterRecovery, e => e.Kind == "join");
            Assert.All(afterRecovery.Where(e => e.Kind is "join" or "cart" or "cart-add"), e => Assert.True(e.Status is 200 or 302, e.ToString()));

            // The cart works again: what is added after the outage is in it.
            var page = await shoppers[1].GetStringAsync($"/product/{FirstProduct + 19}");
            using var add = await shoppers[1].PostAsync("/cart/add", AddToCart(FirstProduct + 19, AntiforgeryToken(page)!));
            Assert.Equal(HttpStatusCode.Redirect, add.StatusCode);
            Assert.Contains($"data-product-id=\"{FirstProduct + 19}\"", await shoppers[1].GetStringAsync("/cart"));
            Assert.Equal(processes, ServiceProcesses());
        }
        finally
        {
            await traffic.StopAsync();
            shoppers.Concat(joiners).Append(orderer).ToList().ForEach(c => c.Dispose());
        }
    }

    /// <summary>Joins through the edge and waits for the admission; the cookies (ticket, admission) stay in the shopper's jar.</summary>
    private static async Task AdmitAsync(HttpClient shopper)
    {
        using var join = await shopper.PostAsync("/api/waitingroom/join", null);
        Assert.True(join.StatusCode == HttpStatusCode.OK, $"join: {(int)join.StatusCode}");
        await Poll.UntilAsync(async () =>
            (await shopper.GetFromJsonAsync<WaitingStatusDto>("/api/waitingroom/status"))!.State == "Admitted", "a shopper to be admitted");
    }

    /// <summary>A shopper's round in the storefront: a product page, add it to the cart (a form post with its token), the cart.</summary>
    private static async Task ShopAsync(FaultTraffic traffic, HttpClient shopper, int productId)
    {
        var page = await traffic.SendAsync("page", shopper, new HttpRequestMessage(HttpMethod.Get, $"/product/{productId}"));
        if (AntiforgeryToken(page.Body) is { } token)
        {
            await traffic.SendAsync("cart-add", shopper, new HttpRequestMessage(HttpMethod.Post, "/cart/add") { Content = AddToCart(productId, token) });
        }
        await traffic.SendAsync("cart", shopper, new HttpRequestMessage(HttpMethod.Get, "/cart"));
        await Task.Delay(200);
    }

    private static FormUrlEncodedContent AddToCart(int productId, string token) =>
        new([new("productId", productId.ToString()), new("quantity", "1"), new("__RequestVerificationToken", token)]);

    private static string? AntiforgeryToken(string page) =>
        AntiforgeryField().Match(page) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;

    private Dictionary<string, int> ServiceProcesses() =>
        TestShop.ApiInstances.Append("web").ToDictionary(r => r, shop.ServiceProcessId);

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
