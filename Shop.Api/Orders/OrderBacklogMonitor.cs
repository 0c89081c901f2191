using Shop.Api.WaitingRoom;

namespace Shop.Api.Orders;

/// <summary>
/// Reads the order backlog every few seconds for <see cref="OrderMetrics"/>: one passive queue declare and one
/// indexed query per instance, whatever the number of exports or dashboard viewers.
/// </summary>
public sealed class OrderBacklogMonitor(IServiceProvider services, OrderMetrics metrics) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A reader of its own: the admission loop's holds a channel that is not meant for two loops at once.
        AdmissionHealth? health = null;
        using var timer = new PeriodicTimer(Interval);
        try
        {
            do
            {
                try
                {
                    // Created here, not up front: with the broker down at start the connection cannot be made yet.
                    health ??= ActivatorUtilities.CreateInstance<AdmissionHealth>(services);
                    metrics.Backlog(await health.ReadAsync(stoppingToken));
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    services.GetRequiredService<ILogger<OrderBacklogMonitor>>().LogDebug(e, "Could not read the order backlog");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        finally
        {
            if (health is not null)
            {
                await health.DisposeAsync();
            }
        }
    }
}
