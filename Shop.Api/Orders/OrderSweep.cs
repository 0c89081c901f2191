using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using Shop.Data;
using Shop.Data.Orders;
using Shop.Messaging;
using Shop.ServiceDefaults.Logging;

namespace Shop.Api.Orders;

public sealed class OrderSweepOptions
{
    public const string SectionName = "Orders:Sweep";

    /// <summary>How long an order may stay Pending or Accepted without being applied before its message counts as lost.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How often each instance looks for such orders.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Times one order is published again, at most <see cref="StaleAfter"/> apart. An order the worker can never apply
    /// goes to the dead-letter queue each time, so this bounds the copies an operator finds there.
    /// </summary>
    [Range(1, 100)]
    public int MaxRepublishes { get; set; } = 5;

    /// <summary>Orders one round publishes again, at most.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 200;
}

/// <summary>
/// Publishes again the orders whose message was lost (a broker node gone with its copy of the queue, a purge): left
/// Pending or Accepted, not applied, and older than <c>Orders:Sweep:StaleAfter</c>. The worker applies an order id
/// once, so a copy of a message that was not lost after all changes nothing. Every instance sweeps and none leads: an
/// order is claimed in Postgres (<c>FOR UPDATE SKIP LOCKED</c>, then stamped), so one instance publishes it, at most
/// once per StaleAfter, with no lease that could be held by two across a handover and no need for Redis. A round runs
/// only while the queue has no ready message: an order behind a backlog is late, not lost, and copying a backlog during
/// a peak would double it.
/// </summary>
public sealed class OrderSweep(
    IServiceProvider services, IServiceScopeFactory scopes, OrderPublisher publisher, OrderMetrics metrics, IOptions<OrderSweepOptions> options,
    ILogger<OrderSweep> logger) : BackgroundService
{
    private readonly RateLimitedWarning failed = new(TimeSpan.FromMinutes(1));
    private IChannel? channel;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            // Postgres or the broker away: the orders wait for the next round.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (failed.ShouldWarn(out var suppressed))
                {
                    logger.LogWarning(e, "The stale-order sweep failed; the next round tries again ({Suppressed} more since the last warning)", suppressed);
                }
            }
        }
    }

    /// <returns>How many orders were published again.</returns>
    private async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        if (!await QueueIsIdleAsync(cancellationToken))
        {
            return 0;
        }
        var settings = options.Value;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ShopDbContext>();
        // applied_at IS NULL: the worker-lag index (created_at WHERE applied_at IS NULL) finds them; nothing here touches an index.
        var claimed = await db.Database.SqlQuery<Guid>($"""
            UPDATE orders o SET republished_at = now(), republishes = o.republishes + 1
            FROM (SELECT id FROM orders
                  WHERE applied_at IS NULL AND status IN ({OrderStatus.Pending}, {OrderStatus.Accepted})
                    AND created_at < now() - {settings.StaleAfter}
                    AND (republished_at IS NULL OR republished_at < now() - {settings.StaleAfter})
                    AND republishes < {settings.MaxRepublishes}
                  ORDER BY created_at LIMIT {settings.BatchSize}
                  FOR UPDATE SKIP LOCKED) stale
            WHERE o.id = stale.id
            RETURNING o.id AS "Value"
            """).ToListAsync(cancellationToken);
        if (claimed.Count == 0)
        {
            return 0;
        }

        var orders = await db.Orders.AsNoTracking().Include(o => o.Lines).Where(o => claimed.Contains(o.Id))
            .OrderBy(o => o.CreatedAt).ToListAsync(cancellationToken);
        var published = 0;
        try
        {
            foreach (var order in orders)
            {
                // Without its admission (the token is not stored): intake checked it when it wrote the row and took the
                // admission's slot, as it does when a retry publishes an order again.
                await publisher.PublishAsync(order.ToMessage(admission: null), cancellationToken);
                published++;
                if (order.Republishes >= settings.MaxRepublishes)
                {
                    logger.LogError("Order {OrderId} was published again for the last time ({Republishes} of {Max}); if it stays unapplied, look for it in {DeadLetters}",
                        order.Id, order.Republishes, settings.MaxRepublishes, OrderQueue.DeadLetterName);
                }
            }
        }
        finally
        {
            metrics.Republished(published);
            if (published > 0)
            {
                logger.LogWarning("Published {Count} orders again that were not applied {StaleAfter} after they were placed and are no longer queued (the oldest from {Oldest:o})",
                    published, settings.StaleAfter, orders[0].CreatedAt);
            }
        }
        return published;
    }

    private async Task<bool> QueueIsIdleAsync(CancellationToken cancellationToken)
    {
        if (channel is not { IsOpen: true })
        {
            if (channel is not null)
            {
                await channel.DisposeAsync();
                channel = null;
            }
            var connection = await OrderBroker.DeclaredConnectionAsync(services, logger, cancellationToken);
            channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        }
        return (await channel.QueueDeclarePassiveAsync(OrderQueue.Name, cancellationToken)).MessageCount == 0;
    }

    public override void Dispose()
    {
        channel?.Dispose();
        base.Dispose();
    }
}
