using Microsoft.EntityFrameworkCore;
using Shop.Data;
using Shop.Data.Sales;

namespace Shop.Api.WaitingRoom;

/// <summary>
/// The sales every instance knows about, reloaded from the primary each second: a staff change reaches every
/// instance within that, and the list stays in memory when Postgres or Redis is down.
/// </summary>
public sealed class SaleDirectory(IServiceScopeFactory scopes, TimeProvider clock, ILogger<SaleDirectory> logger) : BackgroundService
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    private volatile IReadOnlyList<Sale> sales = [];

    /// <summary>The live sale, the one the store is gated by; when two overlap, the one that started first.</summary>
    public Sale? Live() => Live(clock.GetUtcNow());

    public Sale? Live(DateTimeOffset now) => sales.Where(s => s.IsLive(now)).OrderBy(s => s.StartsAt).FirstOrDefault();

    /// <summary>The sale a shopper joins: the live one, else the next to start (its queue opens before the sale does).</summary>
    public Sale? Current(DateTimeOffset now) =>
        Live(now) ?? sales.Where(s => s.EndedAt is null && s.StartsAt > now).OrderBy(s => s.StartsAt).FirstOrDefault();

    public IReadOnlyList<Sale> All => sales;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await TryRefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await TryRefreshAsync(stoppingToken);
        }
    }

    public async Task TryRefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ShopDbContext>();
            var now = clock.GetUtcNow();
            sales = await db.Sales.AsNoTracking().Where(s => s.EndedAt == null && s.EndsAt > now).ToListAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Keep the last known sales: admission and the order gate go on from memory until Postgres answers.
            logger.LogWarning(e, "Could not reload the sales; keeping the {Count} known", sales.Count);
        }
    }
}
