using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Shop.Data;
using Shop.ServiceDefaults.Logging;

namespace Shop.Api.WaitingRoom;

/// <summary>
/// Copies what the waiting room knows into Postgres for the staff reports (which read the replica and never Redis):
/// every admission with its join time, and each live sale's counters every few seconds. Best effort: the queue
/// itself never waits for Postgres (writes queue up here and a background loop sends them), so an outage leaves a
/// gap in the funnel report, not a stalled sale.
/// </summary>
public sealed class FunnelRecorder(IServiceScopeFactory scopes, ILogger<FunnelRecorder> logger) : BackgroundService
{
    private readonly RateLimitedWarning copyFailed = new(TimeSpan.FromSeconds(10));
    private readonly Channel<(Func<ShopDbContext, CancellationToken, Task<int>> Write, string What)> writes =
        Channel.CreateBounded<(Func<ShopDbContext, CancellationToken, Task<int>>, string)>(
            new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public void RecordAdmissions(string saleId, WaitingRoomStore.Tick tick)
    {
        if (tick.Admissions.Count == 0)
        {
            return;
        }
        var admittedAt = DateTimeOffset.FromUnixTimeMilliseconds(tick.AdmittedAtMs);
        var positions = tick.Admissions.Select(a => a.Position).ToArray();
        var joinedAt = tick.Admissions.Select(a => DateTimeOffset.FromUnixTimeMilliseconds(a.JoinedAtMs)).ToArray();
        writes.Writer.TryWrite(((db, cancellationToken) => db.Database.ExecuteSqlAsync($"""
            INSERT INTO sale_admissions (sale_id, position, joined_at, admitted_at)
            SELECT {saleId}, a.position, a.joined_at, {admittedAt} FROM unnest({positions}, {joinedAt}) AS a(position, joined_at)
            ON CONFLICT DO NOTHING
            """, cancellationToken), "admissions"));
    }

    public void RecordCounts(string saleId, WaitingRoomStore.Counts counts, DateTimeOffset now) =>
        writes.Writer.TryWrite(((db, cancellationToken) => db.Database.ExecuteSqlAsync($"""
            INSERT INTO sale_queue_stats (sale_id, joined, waiting, admitted, active, abandoned, updated_at)
            VALUES ({saleId}, {counts.Joined}, {counts.Waiting}, {counts.Admitted}, {counts.Active}, {counts.Abandoned}, {now})
            ON CONFLICT (sale_id) DO UPDATE SET joined = excluded.joined, waiting = excluded.waiting, admitted = excluded.admitted,
                active = excluded.active, abandoned = excluded.abandoned, updated_at = excluded.updated_at
            """, cancellationToken), "counters"));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (write, what) in writes.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await write(scope.ServiceProvider.GetRequiredService<ShopDbContext>(), stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (copyFailed.ShouldWarn(out var suppressed))
                {
                    logger.LogWarning(e, "Could not copy the waiting room's {What} to Postgres; the funnel report misses them ({Suppressed} more since the last warning)",
                        what, suppressed);
                }
            }
        }
    }
}
