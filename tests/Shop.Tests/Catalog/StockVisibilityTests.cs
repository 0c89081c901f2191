using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Shop.Tests.Infrastructure;
using Shop.Tests.Orders;

namespace Shop.Tests.Catalog;

/// <summary>
/// The stock the order worker takes reaches every cached view of the catalog — each API instance's item and list
/// caches, and the storefront's pages — within about a second of the commit, and orders still need no Redis.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class StockVisibilityTests(ShopFixture fixture) : IDisposable
{
    private const int SoldOutProduct = 4891;
    private const int OutageProduct = 4892;
    // The goal is about a second; the margin is for a busy two-core CI machine, where the check itself takes a while.
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(3);

    private readonly TestShop shop = fixture.Shop;
    private readonly OrderTraffic orders = new(fixture.Shop);
    private readonly List<HttpClient> instances = [.. Enumerable.Range(0, TestShop.ApiInstances.Count)
        .Select(i => new HttpClient { BaseAddress = new Uri($"http://localhost:{fixture.Shop.Ports.ApiBase + i}") })];

    [Fact]
    public async Task Stock_taken_by_confirmed_orders_shows_in_every_cached_view_and_selling_out_shows_in_lists_and_pages()
    {
        var name = $"Stockcheck {Guid.NewGuid():N}"[..22];
        await shop.UpdateProductAsync(SoldOutProduct, new { stock = 4, name });
        using var edge = shop.EdgeClient();
        // Every instance holds the item and a search listing it in its own memory, as on the hot path.
        await AssertEveryInstanceAsync(SoldOutProduct, name, stock: 4);
        await AssertEveryInstanceAsync(SoldOutProduct, name, stock: 4);
        // The storefront reads through the edge, which may hold the item a second longer.
        await WithinAsync(async () => Assert.Contains("In stock (4)", await edge.GetStringAsync($"/product/{SoldOutProduct}")), "the product page to show the stock");

        await PlaceAndConfirmAsync(edge, 1);
        await WithinAsync(() => AssertEveryInstanceAsync(SoldOutProduct, name, stock: 3), "one unit taken");

        await PlaceAndConfirmAsync(edge, 3);
        await WithinAsync(() => AssertEveryInstanceAsync(SoldOutProduct, name, stock: 0), "the last unit taken");
        await WithinAsync(async () =>
        {
            Assert.Contains("Sold out", await edge.GetStringAsync($"/product/{SoldOutProduct}"));
            var search = await edge.GetStringAsync($"/search?q={Uri.EscapeDataString(name)}");
            Assert.Contains($"href=\"/product/{SoldOutProduct}\"", search);
            Assert.Contains("class=\"sold-out\"", search);
        }, "the storefront's product and search pages to say sold out");
    }

    [Fact]
    public async Task Orders_are_confirmed_while_redis_is_down_and_the_stock_they_took_shows_once_it_is_back()
    {
        var name = $"Outagecheck {Guid.NewGuid():N}"[..23];
        await shop.UpdateProductAsync(OutageProduct, new { stock = 2, name });
        await AssertEveryInstanceAsync(OutageProduct, name, stock: 2);
        using var edge = shop.EdgeClient();
        try
        {
            await ShopRedis.StopAsync(shop);
            await PlaceAndConfirmAsync(edge, 1, OutageProduct);
            await PlaceAndConfirmAsync(edge, 1, OutageProduct);
        }
        finally
        {
            await ShopRedis.StartAndWaitForEveryInstanceAsync(shop);
        }
        await Poll.UntilAsync(async () =>
        {
            try
            {
                await AssertEveryInstanceAsync(OutageProduct, name, stock: 0);
                return true;
            }
            catch (Xunit.Sdk.XunitException)
            {
                return false;
            }
        }, "every instance to show the stock taken while Redis was down", TimeSpan.FromSeconds(15));
    }

    /// <summary>Orders of one unit each, through the edge; returns once the worker has confirmed them all.</summary>
    private async Task PlaceAndConfirmAsync(HttpClient edge, int count, int productId = SoldOutProduct)
    {
        var run = Guid.NewGuid().ToString("N");
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var order = new OrderRequest($"stock-{run}-{i}", $"stock-{run}-{i}@example.com", [new OrderItem(productId, 1)]);
            var response = await OrderTraffic.SendAsync(edge, order);
            Assert.True(response.Status == HttpStatusCode.Accepted, response.ToString());
            ids.Add(response.OrderId!.Value);
        }
        await Poll.UntilAsync(async () => (await orders.OrdersAsync(ids)).Values.Count(o => o.Status == "Confirmed") == count,
            $"{count} order(s) for product {productId} to be confirmed", TimeSpan.FromSeconds(30));
    }

    /// <summary>From the moment the orders are seen confirmed, the views must agree within <see cref="Within"/>.</summary>
    private static async Task WithinAsync(Func<Task> check, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await check();
                return;
            }
            catch (Xunit.Sdk.XunitException) when (clock.Elapsed < Within)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Each API instance, asked directly: the item's stock and availability, and a search listing it.</summary>
    private async Task AssertEveryInstanceAsync(int productId, string name, int stock)
    {
        foreach (var (api, index) in instances.Select((c, i) => (c, i)))
        {
            var item = await api.GetFromJsonAsync<StockItemDto>($"/api/catalog/items/{productId}");
            Assert.True(item!.Stock == stock && item.InStock == stock > 0,
                $"{TestShop.ApiInstances[index]}: item {productId} says stock {item.Stock}, inStock {item.InStock}; expected {stock}");
            var page = await api.GetFromJsonAsync<StockPageDto>($"/api/catalog/items?q={Uri.EscapeDataString(name)}");
            var listed = Assert.Single(page!.Items, i => i.Id == productId);
            Assert.True(listed.InStock == stock > 0,
                $"{TestShop.ApiInstances[index]}: the search for item {productId} says inStock {listed.InStock}; expected {stock > 0}");
        }
    }

    public void Dispose() => instances.ForEach(c => c.Dispose());

    private sealed record StockItemDto(int Id, int Stock, bool InStock);

    private sealed record StockListedDto(int Id, bool InStock);

    private sealed record StockPageDto(List<StockListedDto> Items);
}
