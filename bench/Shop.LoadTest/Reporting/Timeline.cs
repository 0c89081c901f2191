namespace Shop.LoadTest.Reporting;

/// <summary>One second of the run: what was asked, how fast it was answered, and where the queue and the orders stood.</summary>
public sealed record TimelineSecond(
    int Second,
    IReadOnlyDictionary<string, int> Requests,
    int Errors,
    double LatencyP50Ms,
    double LatencyP95Ms,
    double LatencyP99Ms,
    double OrderAcceptP50Ms,
    double OrderAcceptP99Ms,
    long? Waiting,
    long? Active,
    long? Admitted,
    double? AdmissionsPerMinute,
    double? EffectiveAdmissionsPerMinute,
    int AdmissionsPerMinuteSetting,
    int OrdersAccepted,
    int OrdersSettled);

public static class Timeline
{
    public static IReadOnlyList<TimelineSecond> Of(LoadTestOptions options, RecordedRun run)
    {
        if (run.Samples.Count == 0)
        {
            return [];
        }
        var bySecond = run.Samples.ToLookup(s => (int)s.StartedAt);
        var queueBySecond = run.Queue.GroupBy(q => (int)q.At).ToDictionary(g => g.Key, g => g.Last());
        var settledBySecond = run.Settled.ToLookup(s => (int)s.At);
        var last = Math.Max((int)run.Samples.Max(s => s.StartedAt), run.Queue.Count > 0 ? (int)run.Queue.Max(q => q.At) : 0);

        var timeline = new List<TimelineSecond>();
        int accepted = 0, settled = 0;
        QueueReading? previous = null;
        for (var second = 0; second <= last; second++)
        {
            var samples = bySecond[second].ToList();
            var orders = samples.Where(s => s.Kind == RequestKind.Order && s.Status != 0).Select(s => (double)s.LatencyMs).ToList();
            var all = Percentiles.Of(samples.Where(s => s.Status != 0).Select(s => (double)s.LatencyMs));
            var acceptLatency = Percentiles.Of(orders);
            accepted += samples.Count(s => s.Kind == RequestKind.Order && s.Status == 202);
            settled += settledBySecond[second].Count();
            var queue = queueBySecond.GetValueOrDefault(second);
            // Admissions per minute as measured: the change in 'admitted' between two readings, scaled to a minute.
            double? admissionsPerMinute = queue is not null && previous is not null && queue.At > previous.At
                ? Math.Round((queue.Admitted - previous.Admitted) * 60 / (queue.At - previous.At), 1)
                : null;
            previous = queue ?? previous;

            timeline.Add(new TimelineSecond(
                second,
                samples.GroupBy(s => s.Kind).ToDictionary(g => g.Key.ToString(), g => g.Count()),
                samples.Count(s => s.Status is 0 or >= 400),
                all.P50, all.P95, all.P99,
                acceptLatency.P50, acceptLatency.P99,
                queue?.Waiting, queue?.Active, queue?.Admitted,
                admissionsPerMinute, queue?.EffectiveAdmissionsPerMinute,
                options.AdmissionsPerMinute,
                accepted, settled));
        }
        return timeline;
    }
}
