using Npgsql;
using NpgsqlTypes;
using Shop.Data.Orders;
using Shop.Messaging;

namespace Shop.OrderWorker.Orders;

public sealed record AppliedOutcome(Guid OrderId, string Status, string? Reason);

/// <summary>What one committed transaction did: each new order's outcome, and the products whose stock it changed.</summary>
public sealed record AppliedBatch(IReadOnlyList<AppliedOutcome> Outcomes, IReadOnlyCollection<int> StockChanged, IReadOnlyCollection<int> SoldOut)
{
    public static readonly AppliedBatch Nothing = new([], [], []);
}

/// <summary>
/// Applies a batch of orders in one Postgres transaction: a dedup row per order id, then for each new order a
/// conditional stock decrement per line inside a savepoint, so an order takes all its units or none.
/// </summary>
public sealed class OrderApplier(NpgsqlDataSource dataSource, WaitingRoomPasses passes)
{
    /// <returns>
    /// What happened to each order that was new (orders applied before, redeliveries and copies, are left out), and
    /// which products' stock changed, among them those it sold out.
    /// </returns>
    public async Task<AppliedBatch> ApplyAsync(IReadOnlyList<OrderMessage> batch, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var fresh = await ClaimAsync(connection, batch, cancellationToken);
        var orders = batch.Where(o => fresh.Remove(o.OrderId)).ToList(); // Remove: a copy in the same batch counts once.
        if (orders.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return AppliedBatch.Nothing;
        }

        var stock = await LockProductsAsync(connection, orders, cancellationToken);
        var spent = await SpentAdmissionsAsync(connection, orders, cancellationToken);
        var changed = new HashSet<int>();
        var outcomes = new List<AppliedOutcome>(orders.Count);
        foreach (var order in orders)
        {
            var outcome = AdmissionHolds(order) && !spent.Contains(order.OrderId)
                ? await TakeStockAsync(connection, order, cancellationToken)
                : new AppliedOutcome(order.OrderId, OrderStatus.Rejected, OrderStatus.AdmissionInvalid);
            if (outcome.Status == OrderStatus.Confirmed)
            {
                // The rows are locked, so the stock read at the lock minus what confirmed orders took is what they have now.
                foreach (var line in order.Lines)
                {
                    stock[line.ProductId] -= line.Quantity;
                    changed.Add(line.ProductId);
                }
            }
            outcomes.Add(outcome);
        }
        await RecordAsync(connection, orders, outcomes, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new AppliedBatch(outcomes, changed, [.. changed.Where(id => stock[id] == 0)]);
    }

    /// <summary>
    /// A sale order's admission is checked again here, so a message that reached the queue without passing the API's
    /// gate (or with a forged or borrowed admission) takes no stock. It must have been valid when the order was placed.
    /// </summary>
    private bool AdmissionHolds(OrderMessage order) =>
        order.SaleId is null
        || (passes.TryReadAdmission(order.AdmissionToken, out var claims) && claims.SaleId == order.SaleId && claims.ExpiresAt >= order.CreatedAt);

    /// <summary>Sale orders placed after their admission's shopper had left the waiting room: that admission was spent.</summary>
    private async Task<HashSet<Guid>> SpentAdmissionsAsync(NpgsqlConnection connection, List<OrderMessage> orders, CancellationToken cancellationToken)
    {
        var admitted = orders.Select(o => (Order: o, Ticket: passes.TryReadAdmission(o.AdmissionToken, out var claims) ? claims.TicketId : null))
            .Where(x => x.Order.SaleId is not null && x.Ticket is not null).ToList();
        var spent = new HashSet<Guid>();
        if (admitted.Count == 0)
        {
            return spent;
        }
        await using var query = new NpgsqlCommand("""
            SELECT o.order_id FROM unnest($1, $2, $3, $4) AS o(order_id, sale_id, ticket, created_at)
            JOIN ended_admissions e ON e.sale_id = o.sale_id AND e.admission_ticket = o.ticket AND e.ended_at <= o.created_at
            """, connection);
        query.Parameters.Add(new NpgsqlParameter { Value = admitted.Select(x => x.Order.OrderId).ToArray() });
        query.Parameters.Add(new NpgsqlParameter { Value = admitted.Select(x => x.Order.SaleId!).ToArray() });
        query.Parameters.Add(new NpgsqlParameter { Value = admitted.Select(x => x.Ticket!).ToArray() });
        query.Parameters.Add(new NpgsqlParameter { Value = admitted.Select(x => x.Order.CreatedAt).ToArray() });
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            spent.Add(reader.GetGuid(0));
        }
        return spent;
    }

    /// <summary>The dedup step: only order ids never applied before come back.</summary>
    private static async Task<HashSet<Guid>> ClaimAsync(NpgsqlConnection connection, IReadOnlyList<OrderMessage> batch, CancellationToken cancellationToken)
    {
        await using var claim = new NpgsqlCommand("""
            INSERT INTO applied_orders (order_id, applied_at) SELECT unnest($1), now()
            ON CONFLICT (order_id) DO NOTHING RETURNING order_id
            """, connection);
        claim.Parameters.Add(new NpgsqlParameter { Value = batch.Select(o => o.OrderId).ToArray() });
        var fresh = new HashSet<Guid>();
        await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            fresh.Add(reader.GetGuid(0));
        }
        return fresh;
    }

    /// <summary>
    /// Locks every product the batch touches in id order before any decrement, so two workers applying batches
    /// that share products queue behind each other instead of deadlocking. NO KEY UPDATE is the lock the decrement
    /// takes anyway; it leaves intake free to insert order lines (whose foreign key needs KEY SHARE) meanwhile.
    /// </summary>
    /// <returns>The stock of each locked product, which nobody else can change until the commit.</returns>
    private static async Task<Dictionary<int, int>> LockProductsAsync(NpgsqlConnection connection, List<OrderMessage> orders, CancellationToken cancellationToken)
    {
        await using var lockRows = new NpgsqlCommand("SELECT id, stock FROM products WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE", connection);
        lockRows.Parameters.Add(new NpgsqlParameter { Value = orders.SelectMany(o => o.Lines.Select(l => l.ProductId)).Distinct().ToArray() });
        var stock = new Dictionary<int, int>();
        await using var reader = await lockRows.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            stock[reader.GetInt32(0)] = reader.GetInt32(1);
        }
        return stock;
    }

    private static async Task<AppliedOutcome> TakeStockAsync(NpgsqlConnection connection, OrderMessage order, CancellationToken cancellationToken)
    {
        await using var take = new NpgsqlBatch(connection);
        take.BatchCommands.Add(new NpgsqlBatchCommand("SAVEPOINT order_lines"));
        foreach (var line in order.Lines.OrderBy(l => l.ProductId))
        {
            // The database decides: a line that would take stock below zero changes nothing and reports 0 rows.
            take.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE products SET stock = stock - $1 WHERE id = $2 AND stock >= $1")
            {
                Parameters = { new() { Value = line.Quantity }, new() { Value = line.ProductId } },
            });
        }
        await take.ExecuteNonQueryAsync(cancellationToken);

        var complete = Enumerable.Skip<NpgsqlBatchCommand>(take.BatchCommands, 1).All(c => c.RecordsAffected == 1);
        await using var settle = new NpgsqlCommand(complete ? "RELEASE SAVEPOINT order_lines" : "ROLLBACK TO SAVEPOINT order_lines", connection);
        await settle.ExecuteNonQueryAsync(cancellationToken);
        return complete
            ? new AppliedOutcome(order.OrderId, OrderStatus.Confirmed, null)
            : new AppliedOutcome(order.OrderId, OrderStatus.Rejected, OrderStatus.SoldOut);
    }

    /// <summary>
    /// Writes the settled orders. The API normally wrote the row at intake; an order that reached the queue
    /// another way gets its row (and lines) here, so every applied order can be looked up.
    /// </summary>
    private static async Task RecordAsync(NpgsqlConnection connection, List<OrderMessage> orders, List<AppliedOutcome> outcomes, CancellationToken cancellationToken)
    {
        await using var record = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("""
                    INSERT INTO orders (id, idempotency_key, request_hash, customer_email, customer_name, status, reason, total, currency, created_at,
                                        sale_id, applied_at)
                    SELECT o.id, o.key, o.hash, o.email, o.name, o.status, o.reason, o.total, o.currency, o.created_at, o.sale_id, now()
                    FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                        AS o(id, key, hash, email, name, status, reason, total, currency, created_at, sale_id)
                    ON CONFLICT (id) DO UPDATE SET status = excluded.status, reason = excluded.reason, applied_at = excluded.applied_at
                    """)
                {
                    Parameters =
                    {
                        new() { Value = orders.Select(o => o.OrderId).ToArray() },
                        new() { Value = orders.Select(o => o.IdempotencyKey).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                        new() { Value = orders.Select(o => o.RequestHash).ToArray() },
                        new() { Value = orders.Select(o => o.Customer.Email).ToArray() },
                        new() { Value = orders.Select(o => o.Customer.Name).ToArray() },
                        new() { Value = outcomes.Select(o => o.Status).ToArray() },
                        new() { Value = outcomes.Select(o => o.Reason).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                        new() { Value = orders.Select(o => o.Total).ToArray() },
                        new() { Value = orders.Select(o => o.Currency).ToArray() },
                        new() { Value = orders.Select(o => o.CreatedAt).ToArray() },
                        new() { Value = orders.Select(o => o.SaleId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                    },
                },
                new NpgsqlBatchCommand("""
                    INSERT INTO order_lines (order_id, product_id, product_sku, product_name, quantity, unit_price)
                    SELECT l.order_id, l.product_id, p.sku, p.name, l.quantity, l.unit_price
                    FROM unnest($1, $2, $3, $4) AS l(order_id, product_id, quantity, unit_price)
                    LEFT JOIN products p ON p.id = l.product_id -- a line naming no product still fails the batch, never vanishes
                    ON CONFLICT DO NOTHING
                    """)
                {
                    Parameters =
                    {
                        new() { Value = orders.SelectMany(o => o.Lines.Select(_ => o.OrderId)).ToArray() },
                        new() { Value = orders.SelectMany(o => o.Lines.Select(l => l.ProductId)).ToArray() },
                        new() { Value = orders.SelectMany(o => o.Lines.Select(l => l.Quantity)).ToArray() },
                        new() { Value = orders.SelectMany(o => o.Lines.Select(l => l.UnitPrice)).ToArray() },
                    },
                },
            },
        };
        await record.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Worth retrying as it is: the database or the network had a moment, not the message a problem.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        PostgresException postgres => postgres.IsTransient,
        NpgsqlException npgsql => npgsql.IsTransient,
        TimeoutException or System.Net.Sockets.SocketException or IOException => true,
        _ => e.InnerException is { } inner && IsTransient(inner),
    };

    public async Task<bool> DatabaseIsUpAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var ping = dataSource.CreateCommand("SELECT 1");
            await ping.ExecuteScalarAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }
}
