using Shop.ServiceDefaults.Redis;
using Shop.Api.Orders;
using Shop.ServiceDefaults.Experience;

namespace Shop.Api.WaitingRoom;

/// <summary>
/// The signals admission is paced by: orders waiting in the queue, the age of the oldest order the worker has not
/// applied, and the p95 and 5xx rate of the admitted shoppers' requests as each service's instances measure them.
/// A signal that cannot be read in time counts as fine: the others still speak, and the admission tick never waits long.
/// </summary>
public sealed class AdmissionHealth(OrderBacklog backlog, ExperienceBoard board, ILogger<AdmissionHealth> logger)
{
    /// <summary>Each signal's read is cut off after this: a stalled broker or database must not stall admission.</summary>
    public static readonly TimeSpan ReadTimeout = OrderBacklog.ReadTimeout;

    /// <summary>Checkout's backlog and lag, and each service's admitted shoppers' p95 and 5xx rate: all pacing looks at.</summary>
    public async Task<PacingSignals> ReadSignalsAsync(CancellationToken cancellationToken)
    {
        var checkout = backlog.ReadAsync(cancellationToken);
        var services = ServicesAsync();
        var (queued, lag) = await checkout;
        return new PacingSignals(queued, lag, await services);
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
}
