namespace Shop.LoadTest.Reporting;

/// <summary>The report's counts over the recorded requests: pure functions, so each rule is stated (and tested) once.</summary>
public static class RequestCounts
{
    /// <summary>Refusals the shop meant (a sold-out order, a 429 with Retry-After): counted apart from failures.</summary>
    public static long Errors4xx(IEnumerable<Sample> samples) => samples.LongCount(s => s.Status is >= 400 and < 500);

    public static long Errors5xx(IEnumerable<Sample> samples) => samples.LongCount(s => s.Status >= 500);

    /// <summary>Requests that got no answer at all (refused or reset connection, timeout).</summary>
    public static long Unanswered(IEnumerable<Sample> samples) => samples.LongCount(s => s.Status == 0);

    /// <summary>The sale's span: from the first arrival (second 0) until the last shopper was done, the order drain left out.</summary>
    public static double SaleSeconds(IReadOnlyList<Sample> samples, double? saleEndedAt) =>
        saleEndedAt ?? (samples.Count == 0 ? 0 : samples.Max(s => s.StartedAt + s.LatencyMs / 1000));

    /// <summary>Requests sent during the sale per second of it; the drain's order polls are not the sale's load.</summary>
    public static double RequestsPerSecond(IReadOnlyList<Sample> samples, double saleSeconds) =>
        saleSeconds <= 0 ? 0 : Math.Round(samples.Count(s => s.StartedAt < saleSeconds) / saleSeconds, 1);

    /// <summary>Answered with 2xx or 3xx during the sale, per second of it (the goodput).</summary>
    public static double GoodputPerSecond(IReadOnlyList<Sample> samples, double saleSeconds) =>
        saleSeconds <= 0 ? 0 : Math.Round(samples.Count(s => s.StartedAt < saleSeconds && s.Status is >= 200 and < 400) / saleSeconds, 1);

    /// <summary>
    /// How long a waiting shopper waits for its place: the poll of the sale's queue resource (or, against a shop that
    /// has none, the status poll that replaces it).
    /// </summary>
    public static Percentiles StatusLatency(IReadOnlyList<Sample> samples)
    {
        var kind = samples.Any(s => s.Kind == RequestKind.QueuePoll) ? RequestKind.QueuePoll : RequestKind.Status;
        return Percentiles.Of(samples.Where(s => s.Kind == kind && s.Status != 0).Select(s => (double)s.LatencyMs));
    }

    /// <summary>
    /// Requests that reached the services while shoppers waited after their join, per waiter-minute: every status call
    /// (heartbeats, the call at the turn) and every poll of the queue resource the edge did not answer from its cache.
    /// </summary>
    public static double ApiRequestsPerWaiterPerMinute(IEnumerable<Sample> samples, double waiterSeconds)
    {
        var reached = samples.LongCount(s => s.Kind == RequestKind.Status || (s.Kind == RequestKind.QueuePoll && !s.FromEdgeCache));
        return waiterSeconds <= 0 ? 0 : Math.Round(reached / (waiterSeconds / 60), 4);
    }

    /// <summary>Share of the queue polls the edge answered from its cache, in percent.</summary>
    public static double QueuePollsFromEdgeCachePercent(IEnumerable<Sample> samples)
    {
        var polls = samples.Where(s => s.Kind == RequestKind.QueuePoll && s.Status != 0).ToList();
        return polls.Count == 0 ? 0 : Math.Round(100.0 * polls.Count(s => s.FromEdgeCache) / polls.Count, 2);
    }
}
