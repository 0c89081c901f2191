using Shop.ServiceDefaults.Redis;
using Microsoft.EntityFrameworkCore;
using Shop.Data;
using Shop.Data.Sales;
using Shop.ServiceDefaults.Logging;

namespace Shop.Api.WaitingRoom;

/// <summary>
/// The sales every instance knows about, reloaded from the primary each second: a staff change reaches every
/// instance within that, and the list stays in memory when Postgres or Redis is down. A sale that leaves the list (it
/// ended, or staff ended it) has its Redis keys set to go <see cref="WaitingRoomStore.KeptAfterEnd"/> later, by every
/// instance after its own last write for that sale, so no late join or tick on another instance extends them again.
/// </summary>
public sealed class SaleDirectory(IServiceScopeFactory scopes, WaitingRoomStore store, TimeProvider clock, ILogger<SaleDirectory> logger)
    : BackgroundService
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    private readonly RateLimitedWarning reloadFailed = new(TimeSpan.FromSeconds(10));
    private volatile IReadOnlyList<Sale> sales = [];
    private List<string> goneBefore = [];

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
            var known = sales;
            sales = await db.Sales.AsNoTracking().Where(s => s.EndedAt == null && s.EndsAt > now).ToListAsync(cancellationToken);
            // Once more on the next refresh: a join or tick already under way when the sale left the list writes after the first.
            var gone = known.Where(k => !sales.Any(s => s.Id == k.Id)).Select(k => k.Id).ToList();
            foreach (var saleId in gone.Union(goneBefore))
            {
                await ForgetAsync(saleId, now);
            }
            goneBefore = gone;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Keep the last known sales: admission and the order gate go on from memory until Postgres answers.
            if (reloadFailed.ShouldWarn(out var suppressed))
            {
                logger.LogWarning(e, "Could not reload the sales; keeping the {Count} known ({Suppressed} more failures since the last warning)",
                    sales.Count, suppressed);
            }
        }
    }

    private async Task ForgetAsync(string saleId, DateTimeOffset endedAt)
    {
        try
        {
            await store.ForgetSaleAsync(saleId, endedAt);
        }
        catch (Exception e) when (RedisFailure.Is(e))
        {
            // The keys then go an hour after the sale's planned end, as every write set them to.
            logger.LogWarning(e, "Could not shorten the life of ended sale {SaleId}'s waiting-room keys", saleId);
        }
    }
}
