using System.Net;
using Shop.Messaging;
using Shop.Tests.Hardening;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Orders;

/// <summary>
/// An accepted order whose message is lost (a broker node gone with its copy of the queue; here a purge) is published
/// again by the API's sweep once it is older than <c>Orders:Sweep:StaleAfter</c> and nothing is queued, and the worker
/// applies it once. The test shop's StaleAfter is a day (see TestShop), so the order is made older than that instead
/// of lowering it for every test that shares the shop.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class OrderSweepTests(ShopFixture fixture)
{
    private const int Product = 4991;

    private readonly TestShop shop = fixture.Shop;
    private readonly OrderTraffic traffic = new(fixture.Shop);

    [Fact]
    public async Task An_accepted_order_whose_message_was_deleted_from_the_queue_is_published_again_and_applied_once()
    {
        await traffic.SetStockAsync([Product], 5);
        Guid orderId;
        foreach (var worker in TestShop.OrderWorkers)
        {
            await shop.StopAsync(worker);
        }
        try
        {
            using var edge = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.EdgeHttp}"), Browserlike.NewSourceAddress());
            var placed = await OrderTraffic.SendAsync(edge, new OrderRequest(Guid.NewGuid().ToString("N"), "sweep@example.com", [new OrderItem(Product, 2)]));
            Assert.True(placed.Status == HttpStatusCode.Accepted, placed.ToString());
            orderId = placed.OrderId!.Value;

            Assert.True(await traffic.PurgeAsync(OrderQueue.Name) >= 1, "The order's message was not in the queue to delete.");
            await using var db = await traffic.DatabaseAsync();
            await using var age = db.CreateCommand("UPDATE orders SET created_at = created_at - $2 WHERE id = $1 AND status = 'Accepted'");
            age.Parameters.AddWithValue(orderId);
            age.Parameters.AddWithValue(TestShop.SweepStaleAfter + TimeSpan.FromHours(1));
            Assert.Equal(1, await age.ExecuteNonQueryAsync());
        }
        finally
        {
            await Task.WhenAll(TestShop.OrderWorkers.Select(shop.StartAgainAsync));
        }

        var settled = await traffic.SettledAsync([orderId], TimeSpan.FromMinutes(1));
        Assert.Equal("Confirmed", settled[orderId].Status);
        Assert.True(settled[orderId].Applied);
        // Its two units were taken once, however many copies were published.
        Assert.Equal(3, (await traffic.StockAsync([Product]))[Product]);
        Assert.Equal(1L, await traffic.CountAsync("SELECT republishes FROM orders WHERE id = $1", orderId));
    }
}
