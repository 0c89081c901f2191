using Shop.Tests.Infrastructure;

namespace Shop.Tests.Storefront;

/// <summary>The storefront's catalog reads go straight to the API instances (issue 16 §3), never back through the edge.</summary>
[Collection(ShopCollection.Name)]
public sealed class StorefrontCatalogReadTests(ShopFixture fixture)
{
    // Products no other test opens, so every read seen here was made for this test.
    private static readonly int[] Products = [4811, 4812, 4813, 4814, 4815, 4816];

    [Fact]
    public async Task Product_pages_read_their_item_from_the_API_instances_directly()
    {
        var shop = fixture.Shop;
        using var edge = shop.EdgeClient();
        foreach (var id in Products)
        {
            var page = await edge.GetStringAsync($"/product/{id}");
            Assert.Contains("class=\"sku\"", page);
        }

        List<OtlpReceiver.Span> reads = [];
        await Poll.UntilAsync(() =>
        {
            reads = [.. shop.Telemetry.Spans.Where(s => s.Service == "web" && s.Attributes.TryGetValue("url.full", out var url)
                && Products.Any(id => url.EndsWith($"/api/catalog/items/{id}", StringComparison.Ordinal)))];
            return reads.Count >= Products.Length;
        }, "the storefront's traces of its item reads");

        var apiPorts = Enumerable.Range(shop.Ports.ApiBase, TestShop.ApiInstances.Count).Select(p => p.ToString()).ToList();
        Assert.All(reads, read => Assert.Contains(read.Attributes["server.port"], apiPorts));
        // Spread round robin, not all to one instance.
        Assert.True(reads.Select(read => read.Attributes["server.port"]).Distinct().Count() > 1,
            string.Join(", ", reads.Select(read => read.Attributes["url.full"])));
    }
}
