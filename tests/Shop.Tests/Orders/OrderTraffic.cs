using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Npgsql;
using RabbitMQ.Client;
using Shop.Messaging;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Orders;

public sealed record OrderItem(int ProductId, int Quantity);

public sealed record OrderRequest(string Key, string Email, IReadOnlyList<OrderItem> Items)
{
    public object Body => new { customer = new { email = Email, name = "Test Shopper" }, items = Items.Select(i => new { productId = i.ProductId, quantity = i.Quantity }) };
}

public sealed record OrderResponse(OrderRequest Request, HttpStatusCode Status, Guid? OrderId, string? RetryAfter, string? Problem = null)
{
    public override string ToString() => $"{Request.Key}: {(int)Status} {Problem}";
}

public sealed record OrderAcceptedDto(Guid OrderId, string Status, string StatusUrl);

public sealed record OrderStatusDto(Guid OrderId, string Status, string? Reason, List<OrderLineDto> Lines, decimal Total, string Currency, DateTimeOffset CreatedAt);

public sealed record OrderLineDto(int ProductId, string Sku, string Name, int Quantity, decimal UnitPrice);

/// <summary>Sends orders the way shoppers do, and reads back from Postgres and RabbitMQ what became of them.</summary>
public sealed class OrderTraffic(TestShop shop)
{
    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, OrderRequest order)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(order.Body) };
        request.Headers.Add("Idempotency-Key", order.Key);
        return await client.SendAsync(request);
    }

    /// <summary>One order, its answer read; a connection failure is status 0 rather than an exception.</summary>
    public static async Task<OrderResponse> SendAsync(HttpClient client, OrderRequest order)
    {
        try
        {
            using var response = await PostAsync(client, order);
            return await ReadAsync(order, response);
        }
        catch (HttpRequestException)
        {
            return new OrderResponse(order, 0, null, null);
        }
    }

    private static async Task<OrderResponse> ReadAsync(OrderRequest order, HttpResponseMessage response)
    {
        var accepted = response.StatusCode == HttpStatusCode.Accepted ? await response.Content.ReadFromJsonAsync<OrderAcceptedDto>() : null;
        var problem = response.StatusCode == HttpStatusCode.Accepted ? null : await response.Content.ReadAsStringAsync();
        return new OrderResponse(order, response.StatusCode, accepted?.OrderId, response.Headers.RetryAfter?.ToString(), problem);
    }

    /// <summary>Places the orders with the given concurrency, through the edge; never throws for a failed request.</summary>
    public async Task<IReadOnlyList<OrderResponse>> BurstAsync(IReadOnlyList<OrderRequest> orders, int concurrency = 32, Action? answered = null)
    {
        using var edge = shop.EdgeClient();
        var responses = new ConcurrentBag<OrderResponse>();
        await Parallel.ForEachAsync(orders, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (order, _) =>
        {
            responses.Add(await SendAsync(edge, order));
            answered?.Invoke();
        });
        return [.. responses];
    }

    public static List<OrderRequest> RandomOrders(int count, int firstProduct, int products, int maxLines, int maxQuantity, int seed)
    {
        var random = new Random(seed);
        var run = Guid.NewGuid().ToString("N");
        return [.. Enumerable.Range(0, count).Select(i => new OrderRequest($"{run}-{i}", $"burst-{run}-{i}@example.com",
            [.. Enumerable.Range(firstProduct, products).OrderBy(_ => random.Next()).Take(random.Next(1, maxLines + 1))
                .Select(p => new OrderItem(p, random.Next(1, maxQuantity + 1)))]))];
    }

    public async Task<NpgsqlDataSource> DatabaseAsync() => NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));

    /// <summary>Where a test's products start: their stock, and the moment after which their orders count.</summary>
    public sealed record StockLedger(Dictionary<int, int> Before, DateTimeOffset Since);

    public async Task<StockLedger> OpenLedgerAsync(IReadOnlyList<int> productIds, int stock)
    {
        await SetStockAsync(productIds, stock);
        // Orders carry the API's clock; a second of slack covers clocks that are not quite in step.
        return new StockLedger(await StockAsync(productIds), DateTimeOffset.UtcNow.AddSeconds(-1));
    }

    public async Task SetStockAsync(IEnumerable<int> productIds, int stock)
    {
        await using var db = await DatabaseAsync();
        await using var update = db.CreateCommand("UPDATE products SET stock = $2 WHERE id = ANY($1)");
        update.Parameters.Add(new NpgsqlParameter { Value = productIds.ToArray() });
        update.Parameters.Add(new NpgsqlParameter { Value = stock });
        await update.ExecuteNonQueryAsync();
    }

    public async Task<Dictionary<int, int>> StockAsync(IEnumerable<int> productIds)
    {
        await using var db = await DatabaseAsync();
        await using var select = db.CreateCommand("SELECT id, stock FROM products WHERE id = ANY($1)");
        select.Parameters.Add(new NpgsqlParameter { Value = productIds.ToArray() });
        var stock = new Dictionary<int, int>();
        await using var reader = await select.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            stock[reader.GetInt32(0)] = reader.GetInt32(1);
        }
        return stock;
    }

    public sealed record StoredOrder(Guid Id, string Status, string? Reason, bool Applied, IReadOnlyList<OrderItem> Lines);

    /// <summary>Every order since a moment with a line on one of these products (each test has products of its own).</summary>
    public async Task<IReadOnlyList<StoredOrder>> OrdersForProductsAsync(IEnumerable<int> productIds, DateTimeOffset since)
    {
        await using var db = await DatabaseAsync();
        await using var select = db.CreateCommand(
            "SELECT DISTINCT l.order_id FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.product_id = ANY($1) AND o.created_at >= $2");
        select.Parameters.Add(new NpgsqlParameter { Value = productIds.ToArray() });
        select.Parameters.Add(new NpgsqlParameter { Value = since });
        var ids = new List<Guid>();
        await using (var reader = await select.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetGuid(0));
            }
        }
        return [.. (await OrdersAsync(ids)).Values];
    }

    public async Task<Dictionary<Guid, StoredOrder>> OrdersAsync(IEnumerable<Guid> ids)
    {
        await using var db = await DatabaseAsync();
        await using var select = db.CreateCommand("""
            SELECT o.id, o.status, o.reason, a.order_id IS NOT NULL, l.product_id, l.quantity
            FROM orders o LEFT JOIN applied_orders a ON a.order_id = o.id JOIN order_lines l ON l.order_id = o.id
            WHERE o.id = ANY($1)
            """);
        select.Parameters.Add(new NpgsqlParameter { Value = ids.Distinct().ToArray() });
        var rows = new List<(Guid Id, string Status, string? Reason, bool Applied, OrderItem Line)>();
        await using var reader = await select.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetBoolean(3),
                new OrderItem(reader.GetInt32(4), reader.GetInt32(5))));
        }
        return rows.GroupBy(r => r.Id).ToDictionary(g => g.Key,
            g => new StoredOrder(g.Key, g.First().Status, g.First().Reason, g.First().Applied, [.. g.Select(r => r.Line)]));
    }

    public async Task<long> CountAsync(string sql, params object[] parameters)
    {
        await using var db = await DatabaseAsync();
        await using var command = db.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    /// <summary>Waits until every accepted order is settled by the worker, then returns them all.</summary>
    public async Task<Dictionary<Guid, StoredOrder>> SettledAsync(IReadOnlyCollection<Guid> accepted, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var stored = await OrdersAsync(accepted);
            var open = accepted.Count(id => !stored.TryGetValue(id, out var o) || o.Status is not ("Confirmed" or "Rejected"));
            if (open == 0)
            {
                return stored;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{open} of {accepted.Count} accepted orders were not settled within {timeout}.");
            }
            await Task.Delay(500);
        }
    }

    /// <summary>
    /// The stock ledger for a set of products: what they had, minus the units of every confirmed order on them, must be
    /// what they have. An order applied twice, or a rejected one that took units, breaks it. Every order counts, not only
    /// those that got a 202: a request answered 503 after the broker had taken it is still applied (and a retry with its
    /// key returns it).
    /// </summary>
    public async Task AssertStockBalancesAsync(StockLedger ledger)
    {
        var before = ledger.Before;
        // An order the broker took for a request answered 503 may still be on its way to the worker: give it time.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var after = await StockAsync(before.Keys);
            var orders = await OrdersForProductsAsync(before.Keys, ledger.Since);
            var sold = orders.Where(o => o.Status == "Confirmed").SelectMany(o => o.Lines)
                .GroupBy(l => l.ProductId).ToDictionary(g => g.Key, g => g.Sum(l => l.Quantity));
            var off = before.Where(p => p.Value != after[p.Key] + sold.GetValueOrDefault(p.Key))
                .Select(p => $"product {p.Key}: had {p.Value}, has {after[p.Key]}, confirmed orders took {sold.GetValueOrDefault(p.Key)}").ToList();
            if (off.Count == 0 || DateTime.UtcNow > deadline)
            {
                Assert.All(after, p => Assert.True(p.Value >= 0, $"Product {p.Key} went below zero."));
                Assert.All(orders, o => Assert.True(o.Status is not ("Confirmed" or "Rejected") || o.Applied, $"{o.Id} is {o.Status} without a dedup row"));
                Assert.True(off.Count == 0, "The stock ledger does not balance: " + string.Join("; ", off));
                return;
            }
            await Task.Delay(500);
        }
    }

    public async Task<IConnection> BrokerAsync() =>
        await new ConnectionFactory { Uri = new Uri(await shop.ConnectionStringAsync("rabbitmq")) }.CreateConnectionAsync();

    public async Task<uint> MessageCountAsync(string queue)
    {
        await using var connection = await BrokerAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }

    /// <returns>How many messages were purged.</returns>
    public async Task<uint> PurgeAsync(string queue)
    {
        await using var connection = await BrokerAsync();
        await OrderQueue.DeclareAsync(connection);
        await using var channel = await connection.CreateChannelAsync();
        return await channel.QueuePurgeAsync(queue);
    }
}
