namespace Shop.LoadTest;

/// <summary>The sale's shared queue resource (<c>GET /api/waitingroom/sales/{saleId}/queue</c>), answered by the edge from its micro-cache.</summary>
public sealed record QueueState(
    string SaleId, string State, bool Open, long Serving, long LastPosition, double AdmissionsPerMinute, bool Paused, bool Drawn,
    DateTimeOffset? StartsAt, DateTimeOffset? AsOf, long HeartbeatWithin, double HeartbeatSeconds);

/// <summary>Why a waiting shopper asks the services for its status after a poll of the queue resource.</summary>
public enum StatusCall { None, Open, Drawn, Turn, Heartbeat }

/// <summary>The waiting page's rules (issue 16's protocol), as the load-test shopper follows them.</summary>
public static class WaiterRules
{
    /// <summary>
    /// After a poll: ask <c>/api/waitingroom/status</c> when the queue is open, when a lottery was drawn and the
    /// shopper's place is still unknown, when its turn has come, or — near the front, at most every
    /// <c>heartbeatSeconds</c> — as the heartbeat that keeps its place; further back nothing.
    /// </summary>
    public static StatusCall Next(QueueState queue, long? position, double secondsSinceLastStatus)
    {
        if (queue.Open)
        {
            return StatusCall.Open;
        }
        if (position is not { } place)
        {
            return queue.Drawn ? StatusCall.Drawn : StatusCall.None;
        }
        if (queue.Serving >= place)
        {
            return StatusCall.Turn;
        }
        return Ahead(queue, place) <= queue.HeartbeatWithin && secondsSinceLastStatus >= queue.HeartbeatSeconds
            ? StatusCall.Heartbeat
            : StatusCall.None;
    }

    /// <summary>People ahead of <paramref name="position"/>: max(0, position − serving − 1).</summary>
    public static long Ahead(QueueState queue, long position) => Math.Max(0, position - queue.Serving - 1);
}
