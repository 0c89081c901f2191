using System.Net;
using System.Net.Http.Json;
using System.Text;
using Shop.Tests.Infrastructure;
using Shop.Tests.WaitingRoom;
using StackExchange.Redis;

namespace Shop.Tests.Hardening;

/// <summary>
/// What an anonymous client can make the shop keep is bounded: carts per address, no keys for made-up names, and two
/// Redis servers with memory limits — the one holding the waiting room, the limits and the key rings never evicts and,
/// when full, refuses with 429/503 rather than turning limits off; the one holding the catalog cache and carts evicts.
/// The limits are the AppHost's defaults (Shop:RateLimits, Shop:Redis), which the test shop keeps.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class AnonymousStateTests(ShopFixture fixture)
{
    private const int NewCartsPerMinute = 120;
    private const long StateMaxMemory = 512L * 1024 * 1024;
    private const long CacheMaxMemory = 256L * 1024 * 1024;

    private const int JoinLimit = 60;

    private readonly TestShop shop = fixture.Shop;
    private readonly SaleTraffic sales = new(fixture.Shop);

    [Fact]
    public async Task Cookieless_cart_adds_replaying_one_token_stop_making_carts_at_the_per_address_limit()
    {
        var flood = NewCartsPerMinute + 30;
        var (client, antiforgery, token) = await FormAsync(Browserlike.NewSourceAddress());
        using var _ = client;
        var made = new List<string>();
        var refused = 0;

        for (var i = 0; i < flood; i++)
        {
            using var add = await client.PostFormAsync("/cart/add", [antiforgery], new() { ["__RequestVerificationToken"] = token, ["productId"] = "1" });
            if (add.StatusCode == HttpStatusCode.Redirect)
            {
                made.Add(SetCookie.Single(add, "shop.cart").Value);
                continue;
            }
            Assert.Equal(HttpStatusCode.TooManyRequests, add.StatusCode);
            Assert.Equal("application/problem+json", add.Content.Headers.ContentType?.MediaType);
            Assert.True(add.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 and <= 60 }, $"Retry-After was {add.Headers.RetryAfter}.");
            Assert.DoesNotContain(add.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("shop.cart=", StringComparison.Ordinal)));
            refused++;
        }

        Assert.True(made.Count <= NewCartsPerMinute, $"{made.Count} carts were made from one address within a minute.");
        Assert.Equal(flood - made.Count, refused);
        await using var cache = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("cache"));
        var db = cache.GetDatabase();
        foreach (var cartId in made)
        {
            // Nobody came back for these with their cookie: they go within the hour, not after seven days.
            var ttl = await db.KeyTimeToLiveAsync($"cart:{cartId}");
            Assert.True(ttl is { } left && left <= TimeSpan.FromHours(1), $"cart:{cartId} lives {ttl}.");
        }
    }

    [Fact]
    public async Task A_cart_read_back_through_its_cookie_is_kept_for_seven_days()
    {
        var (client, antiforgery, token) = await FormAsync(Browserlike.NewSourceAddress());
        using var _ = client;
        using var add = await client.PostFormAsync("/cart/add", [antiforgery], new() { ["__RequestVerificationToken"] = token, ["productId"] = "1" });
        var cart = SetCookie.Single(add, "shop.cart");

        using var page = await client.GetWithCookiesAsync("/cart", [cart]);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        await using var cache = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("cache"));
        Assert.InRange((await cache.GetDatabase().KeyTimeToLiveAsync($"cart:{cart.Value}"))!.Value, TimeSpan.FromDays(6.9), TimeSpan.FromDays(7));
        // Carts are evictable: never in the Redis that holds the waiting room and the limits.
        await using var state = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("redis"));
        Assert.False(await state.GetDatabase().KeyExistsAsync($"cart:{cart.Value}"));
    }

    [Fact]
    public async Task A_made_up_cart_cookie_never_makes_a_cart_under_that_name()
    {
        var (client, antiforgery, token) = await FormAsync(Browserlike.NewSourceAddress());
        using var _ = client;
        var madeUp = new SetCookie("shop.cart", Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()), new Dictionary<string, string>());

        using var set = await client.PostFormAsync("/cart/set", [antiforgery, madeUp],
            new() { ["__RequestVerificationToken"] = token, ["productId"] = "1", ["quantity"] = "3" });
        using var add = await client.PostFormAsync("/cart/add", [antiforgery, madeUp], new() { ["__RequestVerificationToken"] = token, ["productId"] = "1" });

        Assert.Equal(HttpStatusCode.Redirect, set.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, add.StatusCode);
        // The add made a new cart, under a new name the shop chose and counted against the address.
        Assert.NotEqual(madeUp.Value, SetCookie.Single(add, "shop.cart").Value);
        await using var cache = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("cache"));
        Assert.False(await cache.GetDatabase().KeyExistsAsync($"cart:{madeUp.Value}"));
    }

    [Fact]
    public async Task Product_ids_that_name_nothing_leave_no_cache_entry_in_either_Redis()
    {
        var ids = Enumerable.Range(0, 20).Select(_ => Random.Shared.Next(1_000_000, int.MaxValue)).ToList();
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            using var api = new HttpClient { BaseAddress = new Uri($"http://localhost:{shop.Ports.ApiBase + i % TestShop.ApiInstances.Count}") };
            using var response = await api.GetAsync($"/api/catalog/items/{id}");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        foreach (var server in new[] { "redis", "cache" })
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync(server));
            foreach (var id in ids)
            {
                Assert.False(await redis.GetDatabase().KeyExistsAsync($"catalog:item:{id}"), $"{server} holds catalog:item:{id}, a product that does not exist.");
            }
        }
    }

    [Fact]
    public async Task Each_Redis_runs_with_its_memory_limit_and_the_policy_for_what_it_holds()
    {
        Assert.Equal((StateMaxMemory, "noeviction"), await MemoryConfigAsync("redis"));
        Assert.Equal((CacheMaxMemory, "allkeys-lru"), await MemoryConfigAsync("cache"));

        // The key rings live where nothing is evicted (the storefront's exists once it has served a form).
        await using var redis = await ConnectAsync("redis");
        await using var cache = await ConnectAsync("cache");
        Assert.True(await redis.GetDatabase().KeyExistsAsync("dataprotection:shop-web"));
        Assert.False(await cache.GetDatabase().KeyExistsAsync("dataprotection:shop-web"));
    }

    [Fact]
    public async Task Joins_from_the_addresses_of_one_IPv6_64_share_one_join_count()
    {
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 1));
        using var api = sales.Instance(0);
        var network = $"2001:db8:{Random.Shared.Next(1, 65535):x}:{Random.Shared.Next(1, 65535):x}";
        // Three times the limit: however the fixed 10-s windows fall, one client's share is at most two windows' worth.
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        await Parallel.ForEachAsync(Enumerable.Range(1, 3 * JoinLimit + 1), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            using var join = await SaleTraffic.JoinAsync(api, $"{network}::{i:x}");
            statuses.Add(join.StatusCode);
        });

        Assert.All(statuses, status => Assert.True(status is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"A join answered {(int)status}."));
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) <= 2 * JoinLimit,
            $"{statuses.Count(s => s == HttpStatusCode.OK)} joins from one /64 went through: each address was counted as a client of its own.");
    }

    [Fact]
    public async Task At_its_memory_limit_the_protected_Redis_refuses_with_429_and_503_never_lets_requests_through_unchecked_or_500s()
    {
        await using var redis = await ConnectAsync("redis");
        var server = redis.GetServers().Single();
        var limit = Assert.Single(await server.ConfigGetAsync("maxmemory")).Value;
        var address = Browserlike.NewSourceAddress();
        var (client, antiforgery, token) = await FormAsync(address);
        using var _ = client;
        using var api = new HttpClient { BaseAddress = new Uri($"http://localhost:{shop.Ports.ApiBase}") };
        try
        {
            // Full: every write that needs memory is refused, as after a flood.
            await server.ConfigSetAsync("maxmemory", "1");

            using var order = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
            order.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
            order.Headers.Add("X-Forwarded-For", address.ToString());
            using var ordered = await api.SendAsync(order);
            using var added = await client.PostFormAsync("/cart/add", [antiforgery], new() { ["__RequestVerificationToken"] = token, ["productId"] = "1" });

            // Before: the order limit let the (empty, invalid) order through to a 400 — a full store switched the limit off.
            Assert.Equal(HttpStatusCode.TooManyRequests, ordered.StatusCode);
            Assert.Equal(429, (await ordered.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>())?.Status);
            Assert.NotNull(ordered.Headers.RetryAfter);
            Assert.Equal(HttpStatusCode.TooManyRequests, added.StatusCode);
            Assert.NotNull(added.Headers.RetryAfter);
        }
        finally
        {
            await server.ConfigSetAsync("maxmemory", limit);
        }

        // A live sale (store pages then need an admission, so the cart was tried first): a join is refused with 503.
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 1));
        try
        {
            await server.ConfigSetAsync("maxmemory", "1");
            using var joined = await SaleTraffic.JoinAsync(api, SaleTraffic.ClientIp(Random.Shared.Next(1, 1 << 24)));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, joined.StatusCode);
            Assert.NotNull(joined.Headers.RetryAfter);
        }
        finally
        {
            await server.ConfigSetAsync("maxmemory", limit);
        }
    }

    /// <summary>A client of its own address, and the antiforgery pair of a product page's add-to-cart form.</summary>
    private async Task<(HttpClient Client, SetCookie Antiforgery, string Token)> FormAsync(IPAddress address)
    {
        var client = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.EdgeHttp}"), address);
        using var page = await client.GetAsync(await Browserlike.ProductPagePathAsync(shop));
        return (client, SetCookie.Single(page, ".AspNetCore.Antiforgery."), Browserlike.AntiforgeryToken(await page.Content.ReadAsStringAsync()));
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(string server)
    {
        var options = ConfigurationOptions.Parse(await shop.ConnectionStringAsync(server));
        options.AllowAdmin = true;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    private async Task<(long MaxMemory, string Policy)> MemoryConfigAsync(string name)
    {
        await using var redis = await ConnectAsync(name);
        var server = redis.GetServers().Single();
        return (long.Parse(Assert.Single(await server.ConfigGetAsync("maxmemory")).Value),
            Assert.Single(await server.ConfigGetAsync("maxmemory-policy")).Value);
    }
}
