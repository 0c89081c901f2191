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
/// Applies a batch of orders in one Postgres transaction of two round trips and a commit, whatever the batch's size:
/// first the dedup rows, the products' locks and the ended admissions together; then the orders' outcomes, decided
/// here against the locked stock, are written with set-based statements.
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

        var (fresh, stock, spent) = await ClaimAndLockAsync(connection, batch, cancellationToken);
        var orders = batch.Where(o => fresh.Remove(o.OrderId)).ToList(); // Remove: a copy in the same batch counts once.
        if (orders.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return AppliedBatch.Nothing;
        }

        // The rows are locked until the commit, so the stock read at the lock minus what the confirmed orders before
        // this one took is what it can have. Orders are decided in queue order, each taking all its units or none.
        var taken = new Dictionary<int, int>();
        var outcomes = new List<AppliedOutcome>(orders.Count);
        foreach (var order in orders)
        {
            if (!AdmissionHolds(order) || spent.Contains(order.OrderId))
            {
                outcomes.Add(new AppliedOutcome(order.OrderId, OrderStatus.Rejected, OrderStatus.AdmissionInvalid));
            }
            else if (order.Lines.All(l => stock.TryGetValue(l.ProductId, out var left) && left >= l.Quantity))
            {
                foreach (var line in order.Lines)
                {
                    stock[line.ProductId] -= line.Quantity;
                    taken[line.ProductId] = taken.GetValueOrDefault(line.ProductId) + line.Quantity;
                }
                outcomes.Add(new AppliedOutcome(order.OrderId, OrderStatus.Confirmed, null));
            }
            else
            {
                // A product with too few units, or none at all (its line then fails the batch when it is recorded).
                outcomes.Add(new AppliedOutcome(order.OrderId, OrderStatus.Rejected, OrderStatus.SoldOut));
            }
        }
        await RecordAsync(connection, orders, outcomes, taken, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new AppliedBatch(outcomes, taken.Keys, [.. taken.Keys.Where(id => stock[id] == 0)]);
    }

    /// <summary>
    /// A sale order's admission is checked again here, so a message that reached the queue without passing the API's
    /// gate (or with a forged or borrowed admission) takes no stock. It must have been valid when the order was placed.
    /// </summary>
    private bool AdmissionHolds(OrderMessage order) =>
        order.SaleId is null
        || passes.CheckAdmission(order.AdmissionToken, order.SaleId, order.CreatedAt).Holds;

    /// <summary>
    /// One round trip of three statements. The dedup step: only order ids never applied before come back. Then every
    /// product the batch touches is locked in id order before anything is decided, so two workers applying batches
    /// that share products queue behind each other instead of deadlocking; NO KEY UPDATE is the lock the decrement
    /// takes anyway, and it leaves intake free to insert order lines (whose foreign key needs KEY SHARE) meanwhile.
    /// Last, the sale orders placed after their admission's shopper had left the waiting room: that admission was spent.
    /// </summary>
    /// <returns>The new order ids, the stock of each locked product (nobody else can change it until the commit), the spent orders.</returns>
    private async Task<(HashSet<Guid> Fresh, Dictionary<int, int> Stock, HashSet<Guid> Spent)> ClaimAndLockAsync(
        NpgsqlConnection connection, IReadOnlyList<OrderMessage> batch, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("""
                    INSERT INTO applied_orders (order_id, applied_at) SELECT unnest($1), now()
                    ON CONFLICT (order_id) DO NOTHING RETURNING order_id
                    """)
                {
                    Parameters = { new() { Value = batch.Select(o => o.OrderId).ToArray() } },
                },
                new NpgsqlBatchCommand("SELECT id, stock FROM products WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE")
                {
                    Parameters = { new() { Value = batch.SelectMany(o => o.Lines.Select(l => l.ProductId)).Distinct().ToArray() } },
                },
            },
        };
        var admitted = batch.Select(o => (Order: o, Ticket: passes.TryReadAdmission(o.AdmissionToken, out var claims) ? claims.TicketId : null))
            .Where(x => x.Order.SaleId is not null && x.Ticket is not null).ToList();
        if (admitted.Count > 0)
        {
            read.BatchCommands.Add(new NpgsqlBatchCommand("""
                SELECT o.order_id FROM unnest($1, $2, $3, $4) AS o(order_id, sale_id, ticket, created_at)
                JOIN ended_admissions e ON e.sale_id = o.sale_id AND e.admission_ticket = o.ticket AND e.ended_at <= o.created_at
                """)
            {
                Parameters =
                {
                    new() { Value = admitted.Select(x => x.Order.OrderId).ToArray() },
                    new() { Value = admitted.Select(x => x.Order.SaleId!).ToArray() },
                    new() { Value = admitted.Select(x => x.Ticket!).ToArray() },
                    new() { Value = admitted.Select(x => x.Order.CreatedAt).ToArray() },
                },
            });
        }

        var fresh = new HashSet<Guid>();
        var stock = new Dictionary<int, int>();
        var spent = new HashSet<Guid>();
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            fresh.Add(reader.GetGuid(0));
        }
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            stock[reader.GetInt32(0)] = reader.GetInt32(1);
        }
        if (admitted.Count > 0)
        {
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                spent.Add(reader.GetGuid(0));
            }
        }
        return (fresh, stock, spent);
    }

    /// <summary>
    /// Takes the confirmed orders' units and writes the settled orders, in one round trip. The API normally wrote the row at intake; an order that reached the queue
    /// another way gets its row (and lines) here, so every applied order can be looked up.
    /// </summary>
    private static async Task RecordAsync(
        NpgsqlConnection connection, List<OrderMessage> orders, List<AppliedOutcome> outcomes, Dictionary<int, int> taken, CancellationToken cancellationToken)
    {
        // The guard repeats what the lock already guarantees, so a broken assumption fails the batch instead of overselling.
        var decrement = new NpgsqlBatchCommand("""
            UPDATE products p SET stock = p.stock - t.units
            FROM unnest($1, $2) AS t(id, units)
            WHERE p.id = t.id AND p.stock >= t.units
            """)
        {
            Parameters = { new() { Value = taken.Keys.ToArray() }, new() { Value = taken.Values.ToArray() } },
        };
        await using var record = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                decrement,
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
        if (decrement.RecordsAffected != taken.Count)
        {
            throw new InvalidOperationException($"{taken.Count - decrement.RecordsAffected} products had less stock than their locked rows showed");
        }
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
