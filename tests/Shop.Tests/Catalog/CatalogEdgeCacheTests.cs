using System.Net;
using System.Net.Http.Json;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Catalog;

/// <summary>
/// The edge keeps anonymous catalog reads for a second: a hot read is answered by the edge itself, a change still shows
/// through it within about a second, and nothing carrying credentials or an error is ever kept.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class CatalogEdgeCacheTests(ShopFixture fixture)
{
    private const int Product = 4961;
    private const int RenamedProduct = 4962;
    // About a second is the promise; the margin is for a busy two-core CI machine.
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(3);

    private readonly TestShop shop = fixture.Shop;

    [Theory]
    [InlineData("/api/catalog/items/4961")] // Product
    [InlineData("/api/catalog/items?page=3&pageSize=7")]
    [InlineData("/api/catalog/categories")]
    public async Task A_repeated_anonymous_read_is_answered_by_the_edge_and_marked_as_a_second_old_at_most(string url)
    {
        using var edge = shop.EdgeClient();

        // Within one second of the first request the same URI must come from the edge's copy.
        await Poll.UntilAsync(async () =>
        {
            using var first = await edge.GetAsync(url);
            using var second = await edge.GetAsync(url);
            first.EnsureSuccessStatusCode();
            return CacheStatus(second) == "HIT";
        }, $"GET {url} to be answered from the edge's cache");

        using var response = await edge.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl is { Public: true, MaxAge.TotalSeconds: <= 1 },
            $"Cache-Control was {response.Headers.CacheControl}");
        Assert.Contains(Assert.Single(response.Headers.GetValues("X-Served-By")), TestShop.ApiInstances);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task A_staff_change_shows_through_the_edge_within_about_a_second()
    {
        using var edge = shop.EdgeClient();
        var url = $"/api/catalog/items/{RenamedProduct}";
        var name = $"Edgecheck {Guid.NewGuid():N}"[..20];
        // The item is hot: the edge holds it when the change is saved.
        await Poll.UntilAsync(async () =>
        {
            using var first = await edge.GetAsync(url);
            using var second = await edge.GetAsync(url);
            return CacheStatus(second) == "HIT";
        }, $"GET {url} to be answered from the edge's cache");

        await shop.UpdateProductAsync(RenamedProduct, new { name });

        await Poll.UntilAsync(async () => (await edge.GetFromJsonAsync<NamedItem>(url))!.Name == name,
            "the new name to show through the edge", Within);
        await Poll.UntilAsync(async () => (await edge.GetStringAsync($"/api/catalog/items?pageSize=100&q={Uri.EscapeDataString(name)}")).Contains(name),
            "a search through the edge to find the new name", Within);
    }

    [Fact]
    public async Task Errors_credentials_and_other_methods_are_never_answered_from_the_edges_copy()
    {
        using var edge = shop.EdgeClient();

        for (var i = 0; i < 3; i++)
        {
            using var missing = await edge.GetAsync("/api/catalog/items/999998");
            using var invalid = await edge.GetAsync("/api/catalog/items?page=0");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            Assert.All(new[] { missing, invalid }, r =>
            {
                Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
                Assert.NotEqual("HIT", CacheStatus(r));
                Assert.False(r.Headers.CacheControl?.Public ?? false, "An error was marked public.");
            });

            using var withKey = new HttpRequestMessage(HttpMethod.Get, $"/api/catalog/items/{Product}");
            withKey.Headers.Add("X-Admin-Key", "anything");
            using var withAuthorization = new HttpRequestMessage(HttpMethod.Get, $"/api/catalog/items/{Product}");
            withAuthorization.Headers.Add("Authorization", "Bearer anything");
            foreach (var request in new[] { withKey, withAuthorization })
            {
                using var response = await edge.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("BYPASS", CacheStatus(response));
                Assert.False(response.Headers.CacheControl?.Public ?? false, "A read with credentials was marked public.");
            }

            using var post = await edge.PostAsync($"/api/catalog/items/{Product}", new StringContent(""));
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
            Assert.NotEqual("HIT", CacheStatus(post));
        }
    }

    private static string? CacheStatus(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Cache-Status", out var values) ? values.Single() : null;

    private sealed record NamedItem(int Id, string Name);
}
