using Microsoft.EntityFrameworkCore;
using RabbitMQ.Client;
using Shop.Data;
using Shop.Data.Orders;
using Shop.Messaging;

namespace Shop.Api.Orders;

/// <summary>
/// How far behind checkout is: orders waiting in the queue, and the age of the oldest order the worker has not applied.
/// One reader per instance, one read at a time: admission pacing and <see cref="OrderMetrics"/> share its readings (and
/// its channel, which is not meant for two callers at once). A figure that cannot be read in time counts as 0.
/// </summary>
public sealed class OrderBacklog(IConnection rabbit, IServiceScopeFactory scopes, TimeProvider clock, ILogger<OrderBacklog> logger)
    : IAsyncDisposable
{
    /// <summary>Each figure's read is cut off after this: a stalled broker or database must not stall admission.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(1);

    /// <summary>A reading this recent is handed out again instead of read anew: pacing checks every 2 s, the metrics every 5 s.</summary>
    private static readonly TimeSpan Reuse = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim reading = new(1, 1);
    private IChannel? channel;
    private (Reading Value, DateTimeOffset At)? last;

    public sealed record Reading(long Backlog, double LagSeconds);

    public async Task<Reading> ReadAsync(CancellationToken cancellationToken)
    {
        await reading.WaitAsync(cancellationToken);
        try
        {
            if (last is { } known && clock.GetUtcNow() - known.At < Reuse)
            {
                return known.Value;
            }
            var backlog = BacklogAsync(cancellationToken);
            var lag = LagAsync(cancellationToken);
            var value = new Reading(await backlog, await lag);
            last = (value, clock.GetUtcNow());
            return value;
        }
        finally
        {
            reading.Release();
        }
    }

    private async Task<long> BacklogAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadTimeout);
        try
        {
            if (channel is not { IsOpen: true })
            {
                channel = await rabbit.CreateChannelAsync(cancellationToken: timeout.Token);
            }
            return (await channel.QueueDeclarePassiveAsync(OrderQueue.Name, timeout.Token)).MessageCount;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogDebug(e, "Could not read the order queue's depth");
            return 0;
        }
    }

    private async Task<double> LagAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadTimeout);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ShopDbContext>();
            // Only recent orders: one that was dead-lettered stays Accepted for good and must not slow the sale forever.
            return await db.Database.SqlQuery<double?>($$"""
                SELECT EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS "Value" FROM orders
                WHERE status = {{OrderStatus.Accepted}} AND applied_at IS NULL AND created_at > now() - interval '15 minutes'
                """)
                .SingleAsync(timeout.Token) ?? 0;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogDebug(e, "Could not read the order worker's lag");
            return 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (channel is not null)
        {
            await channel.DisposeAsync();
        }
        reading.Dispose();
    }
}
