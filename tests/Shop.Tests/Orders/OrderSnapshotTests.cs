using System.Net.Http.Json;
using Npgsql;
using Shop.Messaging;
using Shop.Staff;
using Shop.Tests.Catalog;
using Shop.Tests.Infrastructure;
using Shop.Tests.Reporting;

namespace Shop.Tests.Orders;

/// <summary>An order records what was sold: each line keeps the product's name and SKU as they were at checkout.</summary>
[Collection(ShopCollection.Name)]
public sealed class OrderSnapshotTests(ShopFixture fixture)
{
    private const int Product = 4978;
    private readonly TestShop shop = fixture.Shop;
    private readonly OrderTraffic orders = new(fixture.Shop);

    [Fact]
    public async Task An_order_shows_the_name_and_sku_it_was_bought_under_even_after_a_rename()
    {
        await orders.SetStockAsync([Product], 50);
        var (originalName, originalPrice) = await ProductAsync(Product);
        var asBought = $"Studio headphones {Guid.NewGuid():N}"[..30];
        try
        {
            // Priced so that this one unit tops the day's best sellers, whatever else the suite has sold today.
            await shop.UpdateProductAsync(Product, new { name = asBought, price = 999_999.99m });
            using var edge = shop.EdgeClient();
            var sku = (await edge.GetFromJsonAsync<ItemSku>($"/api/catalog/items/{Product}"))!.Sku;
            var order = new OrderRequest(Guid.NewGuid().ToString("N"), "snapshot@example.com", [new OrderItem(Product, 1)]);
            using var placed = await OrderTraffic.PostAsync(edge, order);
            var orderId = (await placed.Content.ReadFromJsonAsync<OrderAcceptedDto>())!.OrderId;
            await orders.SettledAsync([orderId], TimeSpan.FromSeconds(30));

            await shop.UpdateProductAsync(Product, new { name = "Renamed after the sale" });

            var status = (await edge.GetFromJsonAsync<OrderStatusDto>($"/api/orders/{orderId}"))!;
            Assert.Equal((Product, sku, asBought), (status.Lines.Single().ProductId, status.Lines.Single().Sku, status.Lines.Single().Name));

            var page = await edge.GetStringAsync($"/orders/{orderId}");
            Assert.Contains(asBought, page);
            Assert.Contains(sku, page);
            Assert.DoesNotContain($"Product {Product}", page);

            // Staff see the best sellers under the name they sold by, with their SKU, in the page and the CSV alike.
            using var staff = new StaffClient(shop);
            await staff.SignedInAsync(StaffRoles.AdminEmail, await StaffClient.AdminPasswordAsync(shop));
            await Poll.UntilAsync(async () =>
                (await staff.Http.GetStringAsync("/reports/top-products.csv")).Contains($"{Product},{sku},{asBought},", StringComparison.Ordinal),
                "the product in the top-products export under its name as bought");
            Assert.Contains(asBought, await staff.Http.GetStringAsync("/reports/products"));
        }
        finally
        {
            await shop.UpdateProductAsync(Product, new { name = originalName, price = originalPrice });
        }
    }

    [Fact]
    public async Task An_order_that_reached_the_queue_without_the_api_gets_its_lines_named_by_the_worker()
    {
        await orders.SetStockAsync([Product + 1], 10);
        var message = new OrderMessage(Guid.CreateVersion7(), null, "test", new OrderCustomer("queue@example.com", "Q"),
            [new OrderMessageLine(Product + 1, 1, 1m)], 1m, "EUR", DateTimeOffset.UtcNow);
        await using (var connection = await orders.BrokerAsync())
        await using (var channel = await connection.CreateChannelAsync(new RabbitMQ.Client.CreateChannelOptions(true, true)))
        {
            await channel.BasicPublishAsync("", OrderQueue.Name, true, OrderQueue.Properties(message.OrderId), message.ToBytes());
        }
        await orders.SettledAsync([message.OrderId], TimeSpan.FromSeconds(30));

        using var edge = shop.EdgeClient();
        var line = (await edge.GetFromJsonAsync<OrderStatusDto>($"/api/orders/{message.OrderId}"))!.Lines.Single();
        Assert.Equal((await ProductAsync(Product + 1)).Name, line.Name);
        Assert.False(string.IsNullOrEmpty(line.Sku));
    }

    private sealed record ItemSku(string Sku);

    private async Task<(string Name, decimal Price)> ProductAsync(int id)
    {
        await using var db = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using var select = db.CreateCommand("SELECT name, price FROM products WHERE id = $1");
        select.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await select.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetString(0), reader.GetDecimal(1));
    }

}
