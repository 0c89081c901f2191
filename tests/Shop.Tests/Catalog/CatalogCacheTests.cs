using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Shop.Tests.Hardening;
using Shop.Tests.Infrastructure;
using StackExchange.Redis;

namespace Shop.Tests.Catalog;

[Collection(ShopCollection.Name)]
public sealed class CatalogCacheTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task Staff_update_without_the_admin_key_is_a_401_problem()
    {
        // Over https (admin calls over http are refused before any key is read), from an address of its own: a wrong
        // key counts against the address it came from.
        using var edge = Browserlike.Client(new Uri($"https://localhost:{shop.Ports.EdgeHttps}"), Browserlike.NewSourceAddress());
        using var wrongKey = new HttpRequestMessage(HttpMethod.Put, "/api/admin/catalog/items/1") { Content = JsonContent.Create(new { price = 1m }) };
        wrongKey.Headers.Add("X-Admin-Key", "not-the-key-not-the-key");

        using var missing = await edge.PutAsJsonAsync("/api/admin/catalog/items/1", new { price = 1m });
        using var wrong = await edge.SendAsync(wrongKey);

        Assert.All(new[] { missing, wrong }, response =>
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        });
    }

    public static TheoryData<string, string, string> BadUpdates => new()
    {
        { "1", """{"price":0}""", "price" },
        { "1", """{"price":1.234}""", "price" },
        { "1", """{"price":-5}""", "price" },
        { "1", """{"stock":-1}""", "stock" },
        { "1", """{"name":"   "}""", "name" },
        { "1", """{}""", "body" },
        { "abc", """{"price":10}""", "id" },
    };

    [Theory]
    [MemberData(nameof(BadUpdates))]
    public async Task Bad_staff_update_is_a_400_problem_naming_the_field_and_changes_nothing(string id, string body, string field)
    {
        using var edge = shop.EdgeHttpsClient();
        var before = await ProductRowAsync(1);

        using var response = await SendUpdateAsync(edge, id, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), $"errors does not name {field}");
        Assert.Equal(before, await ProductRowAsync(1));
    }

    /// <summary>The row itself, from the primary: the API's cache would hide a change.</summary>
    private async Task<string> ProductRowAsync(int id)
    {
        await using var db = Npgsql.NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using var select = db.CreateCommand("SELECT concat_ws('|', price, stock, name, updated_at) FROM products WHERE id = $1");
        select.Parameters.Add(new Npgsql.NpgsqlParameter { Value = id });
        return (string)(await select.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Malformed_staff_update_is_a_400_problem_and_an_unknown_item_a_404_problem()
    {
        using var edge = shop.EdgeHttpsClient();

        using var malformed = await SendUpdateAsync(edge, "1", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        using var unknown = await SendUpdateAsync(edge, "999999", JsonContent.Create(new { price = 10m }));

        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.All(new[] { malformed, unknown }, r => Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType));
    }

    private async Task<HttpResponseMessage> SendUpdateAsync(HttpClient edge, string id, HttpContent body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/admin/catalog/items/{id}") { Content = body };
        request.Headers.Add("X-Admin-Key", await shop.ParameterAsync("admin-key"));
        return await edge.SendAsync(request);
    }

    [Fact]
    public async Task A_price_update_reaches_every_api_instance_within_one_second()
    {
        const int id = 7;
        var instances = Enumerable.Range(0, TestShop.ApiInstances.Count)
            .Select(i => new HttpClient { BaseAddress = new Uri($"http://localhost:{shop.Ports.ApiBase + i}") })
            .ToList();
        // Every instance holds the item in its own memory before the change.
        var before = await Task.WhenAll(instances.Select(c => c.GetFromJsonAsync<ItemDto>($"/api/catalog/items/{id}")));
        var newPrice = before[0]!.Price == 123.45m ? 234.56m : 123.45m;
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("redis")))
        {
            Assert.Equal(TestShop.ApiInstances.Count, await ShopRedis.InvalidationSubscribersAsync(redis));
        }

        using var edge = shop.EdgeHttpsClient();
        using var update = await SendUpdateAsync(edge, id.ToString(), JsonContent.Create(new { price = newPrice }));
        update.EnsureSuccessStatusCode();
        // From the staff member's "saved" (the commit and the broadcast are done): the PUT's own time on a busy
        // two-core machine is not what this measures.
        var clock = Stopwatch.StartNew();

        var seenAfter = await Task.WhenAll(instances.Select(async client =>
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(5))
            {
                if ((await client.GetFromJsonAsync<ItemDto>($"/api/catalog/items/{id}"))!.Price == newPrice)
                {
                    return clock.Elapsed;
                }
                await Task.Delay(20);
            }
            return TimeSpan.MaxValue;
        }));

        Assert.All(seenAfter, elapsed => Assert.True(elapsed < TimeSpan.FromSeconds(1), $"An instance still served the old price after {elapsed}."));
        instances.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Catalog_keeps_answering_from_postgres_while_redis_is_down_and_caches_again_after()
    {
        using var edge = shop.EdgeClient();
        try
        {
            await ShopRedis.StopAsync(shop);

            for (var i = 0; i < 30; i++)
            {
                // Fresh queries (never cached) as well as repeated ones must all succeed.
                using var fresh = await edge.GetAsync($"/api/catalog/items?q=redis-down-{i}");
                using var repeated = await edge.GetAsync("/api/catalog/items?page=3");
                using var item = await edge.GetAsync($"/api/catalog/items/{i + 1}");
                Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], new[] { fresh.StatusCode, repeated.StatusCode, item.StatusCode });
            }
        }
        finally
        {
            await ShopRedis.StartAndWaitForEveryInstanceAsync(shop);
        }
    }

    [Fact]
    public async Task Product_image_comes_through_the_cdn_and_the_second_request_is_a_cache_hit()
    {
        using var edge = shop.EdgeClient();
        var item = (await edge.GetFromJsonAsync<PageDto>("/api/catalog/items?page=7&pageSize=1"))!.Items.Single();
        Assert.StartsWith("/cdn/products/", item.ImageUrl);
        // Another test may have fetched this shared image already; a never-seen variant of the URL starts cold.
        var url = $"{item.ImageUrl}?probe={Guid.NewGuid():N}";

        using var first = await edge.GetAsync(url);
        using var second = await edge.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("image/svg+xml", second.Content.Headers.ContentType?.MediaType);
        Assert.Equal("MISS", first.Headers.GetValues("X-Cache-Status").Single());
        Assert.Equal("HIT", second.Headers.GetValues("X-Cache-Status").Single());
        Assert.True(second.Headers.CacheControl?.MaxAge >= TimeSpan.FromDays(30));
    }
}
