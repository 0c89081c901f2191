using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Shop.Data.Sales;

namespace Shop.Api.WaitingRoom;

/// <summary>
/// This instance's view of each sale's queue, refreshed from Redis a few times a second, so a status poll is
/// answered from memory. Polls also only note the time here; the notes go to Redis in one write per refresh.
/// </summary>
public sealed class QueueView(SaleDirectory sales, WaitingRoomStore store, IOptions<WaitingRoomOptions> options, TimeProvider clock,
    ILogger<QueueView> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, WaitingRoomStore.Snapshot> snapshots = new();
    private ConcurrentDictionary<(string SaleId, long Position), long> seen = new();
    private readonly ConcurrentDictionary<(string SaleId, long Position), long> admittedAt = new();

    /// <summary>Consecutive failed refreshes after which Redis counts as down: one slow answer is not an outage.</summary>
    public const int FailuresBeforeDown = 3;

    private int failedRefreshes;

    /// <summary>False once <see cref="FailuresBeforeDown"/> refreshes in a row could not reach Redis; true again after one that did.</summary>
    public bool RedisAvailable => Volatile.Read(ref failedRefreshes) < FailuresBeforeDown;

    public async Task<WaitingRoomStore.Snapshot> SnapshotAsync(Sale sale) =>
        snapshots.TryGetValue(sale.Id, out var snapshot) ? snapshot : snapshots[sale.Id] = await store.SnapshotAsync(sale);

    public void NoteSeen(string saleId, long position) => seen[(saleId, position)] = clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// When a position was admitted, asked once per admitted shopper and instance, then remembered; whether its session
    /// ended (the shopper left on another instance) is asked every time, since an ended admission must not be renewed.
    /// </summary>
    public async Task<WaitingRoomStore.Turn> TurnAsync(Sale sale, long position)
    {
        if (admittedAt.TryGetValue((sale.Id, position), out var at))
        {
            return new(at, false, await store.HasEndedAsync(sale, position));
        }
        var turn = await store.TurnAsync(sale, position);
        if (turn.AdmittedAtMs is { } admitted)
        {
            admittedAt[(sale.Id, position)] = admitted;
        }
        return turn;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SnapshotInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await RefreshAsync();
        }
    }

    private async Task RefreshAsync()
    {
        var notes = Interlocked.Exchange(ref seen, new());
        try
        {
            foreach (var sale in sales.All)
            {
                snapshots[sale.Id] = await store.SnapshotAsync(sale);
                await store.TouchAsync(sale, [.. notes.Where(n => n.Key.SaleId == sale.Id).Select(n => KeyValuePair.Create(n.Key.Position, n.Value))]);
            }
            foreach (var gone in snapshots.Keys.Except(sales.All.Select(s => s.Id)))
            {
                snapshots.TryRemove(gone, out _);
            }
            Volatile.Write(ref failedRefreshes, store.IsConnected ? 0 : FailuresBeforeDown);
        }
        // Any failure (Redis down, a cancelled connect) only makes this refresh count towards Redis unavailable:
        // the loop must go on, since a dead background service would stop the whole API instance.
        catch (Exception e)
        {
            Interlocked.Increment(ref failedRefreshes);
            logger.LogDebug(e, "Could not refresh the waiting-room view");
        }
        if (admittedAt.Count > 100_000)
        {
            admittedAt.Clear();
        }
    }
}
