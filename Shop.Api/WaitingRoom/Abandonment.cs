using Shop.Data.Sales;

namespace Shop.Api.WaitingRoom;

/// <summary>
/// How a waiter shows it is still there without the crowd costing the services anything: only waiters near the front ask
/// for their status (a heartbeat), and the admission loop passes stale positions no faster than those waiters can answer.
/// A waiter enters the heartbeat window at least one <see cref="LongestPoll"/> before its turn, however many ahead of it left.
/// </summary>
public static class Abandonment
{
    /// <summary>The longest interval at which a waiter may poll the sale's queue and still keep its place (pages poll every 2 s).</summary>
    public static readonly TimeSpan LongestPoll = TimeSpan.FromSeconds(30);

    /// <summary>Stale positions passed per second at most: twice the sale's admissions, at least 10.</summary>
    public static double SkipsPerSecond(Sale sale) => Math.Max(10, 2 * sale.AdmissionsPerMinute / 60.0);

    public static int SkipsPerTick(Sale sale, TimeSpan tick) => Math.Max(1, (int)Math.Ceiling(SkipsPerSecond(sale) * tick.TotalSeconds));

    /// <summary>People ahead at which a waiter starts its heartbeat: what the pointer can pass in one longest poll at full speed, at least 200.</summary>
    public static long HeartbeatWithin(Sale sale) =>
        Math.Max(200, (long)Math.Ceiling((sale.AdmissionsPerMinute / 60.0 + SkipsPerSecond(sale)) * LongestPoll.TotalSeconds));

    /// <summary>A quarter of the sale's abandonment time: a waiter that misses a heartbeat or two is not skipped.</summary>
    public static int HeartbeatSeconds(Sale sale) => Math.Max(1, sale.AbandonAfterSeconds / 4);
}
