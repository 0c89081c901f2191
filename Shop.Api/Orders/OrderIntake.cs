using Shop.ServiceDefaults.Redis;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Shop.Api.WaitingRoom;
using Shop.Data;
using Shop.Data.Orders;
using Shop.Messaging;
using Shop.ServiceDefaults.Logging;

namespace Shop.Api.Orders;

/// <summary>
/// Turns a valid request into an order the broker holds. The row is written first (status Pending) so that the
/// idempotency key is claimed atomically by Postgres; the order becomes Accepted only after the broker's confirm.
/// </summary>
public sealed class OrderIntake(ShopDbContext db, OrderPublisher publisher, WaitingRoomStore waitingRoom, TimeProvider clock, ILogger<OrderIntake> logger)
{
    // Per process, not per request (intake is scoped): while Postgres or Redis struggles every order fails the same way.
    private static readonly RateLimitedWarning Unmarked = new(TimeSpan.FromSeconds(10));
    private static readonly RateLimitedWarning SessionNotEnded = new(TimeSpan.FromSeconds(10));

    public abstract record Outcome;
    public sealed record Placed(Guid OrderId) : Outcome;
    public sealed record KeyReused : Outcome;
    public sealed record UnknownProducts(IReadOnlyList<int> LineIndexes) : Outcome;
    /// <summary>The admission has already been used for as many orders as the sale allows.</summary>
    public sealed record AdmissionUsed(int OrdersPerAdmission) : Outcome;
    /// <summary>The admission's shopper left the waiting room: the admission is spent.</summary>
    public sealed record AdmissionEnded : Outcome;

    public async Task<Outcome> PlaceAsync(string idempotencyKey, OrderCustomer customer, IReadOnlyList<(int ProductId, int Quantity)> items,
        AdmissionGate.Admitted? admission, CancellationToken cancellationToken)
    {
        var products = await ProductsAsync(items.Select(i => i.ProductId).ToArray(), cancellationToken);
        var unknown = items.Select((item, index) => (item, index)).Where(x => !products.ContainsKey(x.item.ProductId)).Select(x => x.index).ToList();
        if (unknown.Count > 0)
        {
            return new UnknownProducts(unknown);
        }

        var hash = RequestHash(customer, items);
        var lines = items.Select(i => new OrderMessageLine(i.ProductId, i.Quantity, products[i.ProductId].Price)).ToList();
        var order = new OrderMessage(Guid.CreateVersion7(), idempotencyKey, hash, customer, lines,
            lines.Sum(l => l.UnitPrice * l.Quantity), products[items[0].ProductId].Currency, clock.GetUtcNow(),
            admission?.Sale.Id, admission?.Token);

        // During a sale each of the admission's allowed orders is a numbered slot with a unique index on it, so two
        // orders racing on one admission cannot both take the same slot, with or without Redis.
        short? slot = admission is null ? null : (short)1;
        var republish = false;
        while (!await TryInsertAsync(order, products, admission?.Claims.TicketId, slot, cancellationToken))
        {
            // Someone used this key before (or is using it right now): same body → same order, else refuse.
            if (await ExistingAsync(idempotencyKey, cancellationToken) is { } existing)
            {
                if (existing.RequestHash != hash)
                {
                    return new KeyReused();
                }
                if (existing.Status != OrderStatus.Pending)
                {
                    return new Placed(existing.Id);
                }
                // Not confirmed yet: publish our own copy and wait for our own confirm. The worker applies an order id
                // once, so two copies in the queue are harmless, while a 202 without a confirmed copy would not be.
                order = existing.ToMessage(admission);
                republish = true;
                break;
            }
            if (admission is not null && await EndedAsync(admission, cancellationToken))
            {
                return new AdmissionEnded();
            }
            if (admission is null || slot >= admission.Sale.OrdersPerAdmission)
            {
                return new AdmissionUsed(admission?.Sale.OrdersPerAdmission ?? 0);
            }
            slot++;
        }
        // The admission's last allowed order ends the shopper's session, which frees the slot for the next in line.
        var endsSession = admission is not null && !republish && slot >= admission.Sale.OrdersPerAdmission;

        await publisher.PublishAsync(order, cancellationToken);
        try
        {
            // The broker holds the order now, so this mark needs no wait for the disk: committed asynchronously (the
            // set_config runs for the row it marks, in this statement's own transaction). Lost in a database crash, it
            // leaves the row Pending, which the worker settles and a retry publishes again, as when the mark fails here.
            // No index covers status, so on the room fillfactor leaves in the page the mark is a HOT update.
            await db.Database.ExecuteSqlAsync($"""
                UPDATE orders SET status = {OrderStatus.Accepted}
                WHERE id = {order.OrderId} AND status = {OrderStatus.Pending} AND set_config('synchronous_commit', 'off', true) = 'off'
                """, cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // The broker holds the order, so it is accepted whatever happens here: the worker settles the row later.
            if (Unmarked.ShouldWarn(out var suppressed))
            {
                logger.LogWarning(e, "Order {OrderId} is accepted but could not be marked so yet ({Suppressed} more since the last warning)", order.OrderId, suppressed);
            }
        }
        if (endsSession)
        {
            await EndSessionAsync(admission!);
        }
        return new Placed(order.OrderId);
    }

    /// <summary>The products as sold: price, name and SKU are recorded on the order as they are at this moment.</summary>
    private sealed record SoldProduct(string Sku, string Name, decimal Price, string Currency);

    private async Task<Dictionary<int, SoldProduct>> ProductsAsync(int[] productIds, CancellationToken cancellationToken) =>
        // From the primary, never a cache: the price charged is the price in the database at this moment.
        await db.Products.AsNoTracking().Where(p => productIds.Contains(p.Id))
            .ToDictionaryAsync(p => p.Id, p => new SoldProduct(p.Sku, p.Name, p.Price, p.Currency), cancellationToken);

    /// <summary>The shopper has ordered: the slot goes to the next in line. Best effort, the session expires anyway.</summary>
    private async Task EndSessionAsync(AdmissionGate.Admitted admission)
    {
        try
        {
            await waitingRoom.EndSessionAsync(admission.Sale, admission.Claims.Position);
        }
        catch (Exception e) when (RedisFailure.Is(e) || e is TaskCanceledException)
        {
            if (SessionNotEnded.ShouldWarn(out var suppressed))
            {
                logger.LogWarning(e, "Could not end the waiting-room session of position {Position}; it ends when it expires ({Suppressed} more since the last warning)",
                    admission.Claims.Position, suppressed);
            }
        }
    }

    private Task<bool> EndedAsync(AdmissionGate.Admitted admission, CancellationToken cancellationToken) =>
        db.EndedAdmissions.AnyAsync(e => e.SaleId == admission.Sale.Id && e.AdmissionTicket == admission.Claims.TicketId, cancellationToken);

    private async Task<bool> TryInsertAsync(
        OrderMessage order, Dictionary<int, SoldProduct> products, string? admissionTicket, short? admissionSlot, CancellationToken cancellationToken)
    {
        // One statement, so the order and its lines appear together or not at all. DO NOTHING covers both the
        // idempotency key and the admission slot, and an admission whose shopper left takes no order; the caller tells them apart.
        var inserted = await db.Database.ExecuteSqlAsync($"""
            WITH new_order AS (
                INSERT INTO orders (id, idempotency_key, request_hash, customer_email, customer_name, status, total, currency, created_at,
                                    sale_id, admission_ticket, admission_slot)
                SELECT {order.OrderId}, {order.IdempotencyKey}, {order.RequestHash}, {order.Customer.Email}, {order.Customer.Name},
                       {OrderStatus.Pending}, {order.Total}, {order.Currency}, {order.CreatedAt}, {order.SaleId}::text, {admissionTicket}::text, {admissionSlot}::smallint
                WHERE NOT EXISTS (SELECT 1 FROM ended_admissions e WHERE e.sale_id = {order.SaleId}::text AND e.admission_ticket = {admissionTicket}::text)
                ON CONFLICT DO NOTHING
                RETURNING id)
            INSERT INTO order_lines (order_id, product_id, product_sku, product_name, quantity, unit_price)
            SELECT new_order.id, line.product_id, line.product_sku, line.product_name, line.quantity, line.unit_price
            FROM new_order, unnest({order.Lines.Select(l => l.ProductId).ToArray()},
                                   {order.Lines.Select(l => products[l.ProductId].Sku).ToArray()},
                                   {order.Lines.Select(l => products[l.ProductId].Name).ToArray()},
                                   {order.Lines.Select(l => l.Quantity).ToArray()},
                                   {order.Lines.Select(l => l.UnitPrice).ToArray()})
                 AS line(product_id, product_sku, product_name, quantity, unit_price)
            """, cancellationToken);
        return inserted > 0;
    }

    private async Task<Order?> ExistingAsync(string idempotencyKey, CancellationToken cancellationToken) =>
        await db.Orders.AsNoTracking().Include(o => o.Lines).SingleOrDefaultAsync(o => o.IdempotencyKey == idempotencyKey, cancellationToken);

    /// <summary>What makes two requests "the same order": who orders which products in which quantities.</summary>
    private static string RequestHash(OrderCustomer customer, IEnumerable<(int ProductId, int Quantity)> items)
    {
        var canonical = new StringBuilder()
            .Append(customer.Email.ToLowerInvariant()).Append('\n').Append(customer.Name).Append('\n')
            .AppendJoin(',', items.OrderBy(i => i.ProductId).Select(i => $"{i.ProductId}x{i.Quantity}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())));
    }
}

internal static class OrderMapping
{
    /// <summary>The message for an order already written; it carries the admission only when this request brought the same one.</summary>
    public static OrderMessage ToMessage(this Order order, AdmissionGate.Admitted? admission)
    {
        var sameAdmission = admission is not null && order.SaleId == admission.Sale.Id && order.AdmissionTicket == admission.Claims.TicketId;
        return new(order.Id, order.IdempotencyKey, order.RequestHash,
            new OrderCustomer(order.CustomerEmail, order.CustomerName),
            order.Lines.OrderBy(l => l.ProductId).Select(l => new OrderMessageLine(l.ProductId, l.Quantity, l.UnitPrice)).ToList(),
            order.Total, order.Currency, order.CreatedAt, sameAdmission ? admission!.Sale.Id : null, sameAdmission ? admission!.Token : null);
    }
}
