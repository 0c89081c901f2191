using Microsoft.EntityFrameworkCore;
using Shop.Data;
using Shop.Data.Orders;
using Shop.Messaging;
using RabbitMQ.Client;

namespace Shop.Api.WaitingRoom;

/// <summary>
/// How far behind checkout is: orders waiting in the queue, and the age of the oldest order the worker has not
/// applied. The admission loop slows down when either crosses its threshold.
/// </summary>
public sealed class AdmissionHealth(IConnection rabbit, IServiceScopeFactory scopes, ILogger<AdmissionHealth> logger) : IAsyncDisposable
{
    private IChannel? channel;

    public sealed record Reading(long Backlog, double LagSeconds);

    public async Task<Reading> ReadAsync(CancellationToken cancellationToken)
    {
        long backlog = 0;
        try
        {
            if (channel is not { IsOpen: true })
            {
                channel = await rabbit.CreateChannelAsync(cancellationToken: cancellationToken);
            }
            backlog = (await channel.QueueDeclarePassiveAsync(OrderQueue.Name, cancellationToken)).MessageCount;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogDebug(e, "Could not read the order queue's depth");
        }

        double lag = 0;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ShopDbContext>();
            // Only recent orders: one that was dead-lettered stays Accepted for good and must not slow the sale forever.
            lag = await db.Database.SqlQuery<double?>($$"""
                SELECT EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS "Value" FROM orders
                WHERE status = {{OrderStatus.Accepted}} AND applied_at IS NULL AND created_at > now() - interval '15 minutes'
                """)
                .SingleAsync(cancellationToken) ?? 0;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogDebug(e, "Could not read the order worker's lag");
        }
        return new Reading(backlog, lag);
    }

    public async ValueTask DisposeAsync()
    {
        if (channel is not null)
        {
            await channel.DisposeAsync();
        }
    }
}
