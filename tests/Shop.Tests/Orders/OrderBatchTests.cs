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
            await OrderQueue.DeclareAsync(connection);
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

    /// <summary>
    /// Intake marks every order Accepted right after the broker's confirm. That update is HOT (the new version stays on
    /// its page and no index gets an entry) only when no index covers the status, not even in a partial index's
    /// predicate, and the page has room for it. The statistics that count HOT updates arrive late and in bulk, so the
    /// conditions are read from the catalog instead.
    /// </summary>
    [Fact]
    public async Task The_accepted_mark_can_be_a_hot_update()
    {
        await using var db = await traffic.DatabaseAsync();
        await using var indexes = db.CreateCommand("""
            SELECT coalesce(string_agg(pg_get_indexdef(i.indexrelid), '; '), '')
            FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = 'status'
            WHERE i.indrelid = 'orders'::regclass
              AND (a.attnum = ANY(i.indkey) OR pg_get_expr(i.indpred, i.indrelid) LIKE '%status%' OR pg_get_expr(i.indexprs, i.indrelid) LIKE '%status%')
            """);
        Assert.Equal("", (string)(await indexes.ExecuteScalarAsync())!);

        await using var fillfactor = db.CreateCommand("""
            SELECT coalesce((SELECT option_value::int FROM pg_options_to_table(reloptions) WHERE option_name = 'fillfactor'), 100)
            FROM pg_class WHERE oid = 'orders'::regclass
            """);
        Assert.InRange((int)(await fillfactor.ExecuteScalarAsync())!, 50, 90);
    }
}
