namespace Shop.Api.Orders;

/// <summary>
/// Hands <see cref="OrderMetrics"/> the order backlog every few seconds, so its gauges cost no read per export or
/// dashboard viewer.
/// </summary>
public sealed class OrderBacklogMonitor(IServiceProvider services, OrderMetrics metrics) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                // Resolved here, not up front: with the broker down at start the connection cannot be made yet.
                metrics.Backlog(await services.GetRequiredService<OrderBacklog>().ReadAsync(stoppingToken));
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                services.GetRequiredService<ILogger<OrderBacklogMonitor>>().LogDebug(e, "Could not read the order backlog");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
