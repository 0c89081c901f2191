using System.Net;
using Npgsql;
using RabbitMQ.Client;
using Shop.Messaging;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Orders;

/// <summary>
/// The worker decides a whole batch at once: each order still gets its own outcome (an order short of stock takes
/// nothing, a copy or an order applied before changes nothing) while the others apply, and one ack settles the batch.
/// Intake's Accepted mark is a HOT update (no index covers the status).
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class OrderBatchTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;
    private readonly OrderTraffic traffic = new(fixture.Shop);

    private static OrderMessage Message(params OrderMessageLine[] lines) => new(Guid.CreateVersion7(), null, "batch",
        new OrderCustomer("batch@example.com", "Batch"), lines, lines.Sum(l => l.Quantity * l.UnitPrice), "EUR", DateTimeOffset.UtcNow);

    [Fact]
    public async Task One_batch_with_a_short_order_a_copy_and_an_order_applied_before_applies_the_others_and_is_all_acknowledged()
    {
        const int plenty = 4981, scarce = 4982;
        await traffic.SetStockAsync([plenty], 5);
        await traffic.SetStockAsync([scarce], 1);
        var first = Message(new OrderMessageLine(plenty, 2, 3m));
        var shortOne = Message(new OrderMessageLine(scarce, 2, 3m));
        var partlyShort = Message(new OrderMessageLine(plenty, 1, 3m), new(scarce, 2, 3m)); // its plenty unit must not be taken
        var appliedBefore = Message(new OrderMessageLine(plenty, 1, 3m));
        var last = Message(new OrderMessageLine(plenty, 3, 3m));
        await using (var db = await traffic.DatabaseAsync())
        await using (var dedup = db.CreateCommand("INSERT INTO applied_orders (order_id, applied_at) VALUES ($1, now())"))
        {
            dedup.Parameters.Add(new NpgsqlParameter { Value = appliedBefore.OrderId });
            await dedup.ExecuteNonQueryAsync();
        }

        // Queued with the workers stopped, so they arrive together and are applied in as few transactions as the workers take.
        foreach (var worker in TestShop.OrderWorkers)
        {
            await shop.StopAsync(worker);
        }
        try
        {
            await using var connection = await traffic.BrokerAsync();
            await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
            await OrderQueue.DeclareAsync(channel);
            foreach (var message in new[] { first, shortOne, first, partlyShort, appliedBefore, last, first })
            {
                await channel.BasicPublishAsync("", OrderQueue.Name, true, OrderQueue.Properties(message.OrderId), message.ToBytes());
            }
        }
        finally
        {
            await Task.WhenAll(TestShop.OrderWorkers.Select(shop.StartAgainAsync));
        }

        var settled = await traffic.SettledAsync([first.OrderId, shortOne.OrderId, partlyShort.OrderId, last.OrderId], TimeSpan.FromMinutes(1));
        Assert.Equal("Confirmed", settled[first.OrderId].Status);
        Assert.Equal("Confirmed", settled[last.OrderId].Status);
        Assert.Equal(("Rejected", "sold_out"), (settled[shortOne.OrderId].Status, settled[shortOne.OrderId].Reason));
        Assert.Equal(("Rejected", "sold_out"), (settled[partlyShort.OrderId].Status, settled[partlyShort.OrderId].Reason));
        // The copies of the first order took its units once; the order applied before took none and got no row.
        Assert.Equal(new Dictionary<int, int> { [plenty] = 0, [scarce] = 1 }, await traffic.StockAsync([plenty, scarce]));
        Assert.Empty(await traffic.OrdersAsync([appliedBefore.OrderId]));

        // Nothing was left unacknowledged: with the workers stopped, an unacked message would be back in the queue.
        foreach (var worker in TestShop.OrderWorkers)
        {
            await shop.StopAsync(worker);
        }
        try
        {
            Assert.Equal(0u, await traffic.MessageCountAsync(OrderQueue.Name));
        }
        finally
        {
            await Task.WhenAll(TestShop.OrderWorkers.Select(shop.StartAgainAsync));
        }
    }

    [Fact]
    public async Task Marking_accepted_orders_is_a_hot_update()
    {
        const int product = 4983;
        await traffic.SetStockAsync([product], 1000);
        await using var db = await traffic.DatabaseAsync();
        var (_, hotBefore) = await UpdatesAsync(db);

        using var edge = shop.EdgeClient();
        var run = Guid.NewGuid().ToString("N")[..8];
        var responses = new List<OrderResponse>();
        for (var i = 0; i < 40; i++)
        {
            responses.Add(await OrderTraffic.SendAsync(edge, new OrderRequest($"hot-{run}-{i}", $"hot-{i}@example.com", [new(product, 1)])));
        }
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.Status));

        // Statistics reach the view within seconds of each statement; the worker's own updates count as well, HOT or not.
        await Poll.UntilAsync(async () => (await UpdatesAsync(db)).Hot - hotBefore >= 30,
            "most of the 40 Accepted marks to be counted as HOT updates", TimeSpan.FromSeconds(30));
    }

    private static async Task<(long Updates, long Hot)> UpdatesAsync(NpgsqlDataSource db)
    {
        await using var select = db.CreateCommand("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'orders'");
        await using var reader = await select.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
