using System.Net;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Orders;

/// <summary>Many shoppers, little stock: the database hands out each unit once, and an order takes all of its lines or none.</summary>
[Collection(ShopCollection.Name)]
public sealed class OrderStockTests(ShopFixture fixture)
{
    private readonly OrderTraffic traffic = new(fixture.Shop);

    [Fact]
    public async Task Two_hundred_shoppers_for_twenty_units_give_twenty_confirmed_and_180_sold_out()
    {
        const int product = 4001;
        await traffic.SetStockAsync([product], 20);
        var run = Guid.NewGuid().ToString("N");
        var orders = Enumerable.Range(0, 200).Select(i => new OrderRequest($"{run}-{i}", $"rush-{i}@example.com", [new(product, 1)])).ToList();

        var responses = await traffic.BurstAsync(orders, concurrency: 50);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.Status));
        var settled = await traffic.SettledAsync([.. responses.Select(r => r.OrderId!.Value)], TimeSpan.FromSeconds(60));
        Assert.Equal(20, settled.Values.Count(o => o.Status == "Confirmed"));
        Assert.Equal(180, settled.Values.Count(o => o is { Status: "Rejected", Reason: "sold_out" }));
        Assert.Equal(0, (await traffic.StockAsync([product]))[product]);
    }

    [Fact]
    public async Task Multi_product_carts_with_random_quantities_sell_exactly_what_was_in_stock()
    {
        var products = Enumerable.Range(4011, 8).ToList();
        var ledger = await traffic.OpenLedgerAsync(products, 25);
        var orders = OrderTraffic.RandomOrders(count: 200, firstProduct: 4011, products: 8, maxLines: 4, maxQuantity: 3, seed: 42);

        var responses = await traffic.BurstAsync(orders, concurrency: 50);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.Status));
        var settled = await traffic.SettledAsync([.. responses.Select(r => r.OrderId!.Value)], TimeSpan.FromSeconds(60));
        await traffic.AssertStockBalancesAsync(ledger);
        // Demand (about 1,000 units) is far beyond supply (200): both outcomes must have happened.
        Assert.Contains(settled.Values, o => o.Status == "Confirmed");
        Assert.Contains(settled.Values, o => o.Status == "Rejected");
    }
}
