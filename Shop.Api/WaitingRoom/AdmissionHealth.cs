using Shop.ServiceDefaults.Redis;
using Microsoft.EntityFrameworkCore;
using Shop.Data;
using Shop.Data.Orders;
using Shop.Messaging;
using Shop.ServiceDefaults.Experience;
using RabbitMQ.Client;

namespace Shop.Api.WaitingRoom;

/// <summary>
/// The signals admission is paced by: orders waiting in the queue, the age of the oldest order the worker has not
/// applied, and the p95 and 5xx rate of the admitted shoppers' requests as each service's instances measure them.
/// A signal that cannot be read in time counts as fine: the others still speak, and the admission tick never waits long.
/// </summary>
public sealed class AdmissionHealth(IConnection rabbit, IServiceScopeFactory scopes, ExperienceBoard board, ILogger<AdmissionHealth> logger)
    : IAsyncDisposable
{
    /// <summary>Each signal's read is cut off after this: a stalled broker or database must not stall admission.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(1);

    private IChannel? channel;

    /// <summary>How far behind checkout is: orders waiting in the queue, and the age of the oldest one not applied.</summary>
    public sealed record Reading(long Backlog, double LagSeconds);

    public async Task<Reading> ReadAsync(CancellationToken cancellationToken)
    {
        var backlog = BacklogAsync(cancellationToken);
        var lag = LagAsync(cancellationToken);
        return new Reading(await backlog, await lag);
    }

    /// <summary>Checkout's backlog and lag, and each service's admitted shoppers' p95 and 5xx rate: all pacing looks at.</summary>
    public async Task<PacingSignals> ReadSignalsAsync(CancellationToken cancellationToken)
    {
        var checkout = ReadAsync(cancellationToken);
        var services = ServicesAsync();
        var (backlog, lag) = await checkout;
        return new PacingSignals(backlog, lag, await services);
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

    private async Task<IReadOnlyList<ServiceSignal>> ServicesAsync()
    {
        try
        {
            return [.. (await board.ReadAsync().WaitAsync(ReadTimeout))
                .GroupBy(i => i.Service)
                .Select(g => Signal(g.Key, ExperienceReport.Sum(g.Select(i => i.Report))))
                .OrderBy(s => s.Service, StringComparer.Ordinal)];
        }
        catch (Exception e) when (RedisFailure.Is(e))
        {
            logger.LogDebug(e, "Could not read the services' request windows");
            return [];
        }
    }

    private static ServiceSignal Signal(string service, ExperienceReport all) =>
        new(service, all.Requests, Math.Round(all.PercentileMs(0.95), 1), Math.Round(all.ErrorRate, 4));

    public async ValueTask DisposeAsync()
    {
        if (channel is not null)
        {
            await channel.DisposeAsync();
        }
    }
}
