namespace Shop.ServiceDefaults.Experience;

/// <summary>
/// This instance's answers of the last <see cref="Seconds"/> seconds: durations in fixed histogram buckets and the
/// count of 5xx, kept in one-second slots. Recording is a couple of <see cref="Interlocked"/> adds on the hot path,
/// with no allocation and no list of requests; a slot is cleared once, by the first request of its new second.
/// </summary>
public sealed class RequestWindow(TimeProvider clock)
{
    public const int Seconds = 10;

    // One slot more than the window: the slot being reused for the new second is never one that is read.
    private readonly Slot[] slots = [.. Enumerable.Range(0, Seconds + 1).Select(_ => new Slot())];

    private sealed class Slot
    {
        public readonly Lock Rolling = new();
        public readonly long[] Buckets = new long[ExperienceReport.BucketCount];
        public long Second = -1;
        public long Errors;
    }

    public void Record(TimeSpan duration, bool serverError)
    {
        var second = clock.GetUtcNow().ToUnixTimeSeconds();
        var slot = slots[second % slots.Length];
        if (Volatile.Read(ref slot.Second) != second)
        {
            Roll(slot, second);
        }
        Interlocked.Increment(ref slot.Buckets[ExperienceReport.BucketOf(duration.TotalMilliseconds)]);
        if (serverError)
        {
            Interlocked.Increment(ref slot.Errors);
        }
    }

    /// <summary>The last <see cref="Seconds"/> seconds, the current one included.</summary>
    public ExperienceReport Read()
    {
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var buckets = new long[ExperienceReport.BucketCount];
        long errors = 0;
        foreach (var slot in slots)
        {
            var second = Volatile.Read(ref slot.Second);
            if (second > now - Seconds && second <= now)
            {
                for (var i = 0; i < buckets.Length; i++)
                {
                    buckets[i] += Interlocked.Read(ref slot.Buckets[i]);
                }
                errors += Interlocked.Read(ref slot.Errors);
            }
        }
        return new ExperienceReport(buckets, errors);
    }

    private static void Roll(Slot slot, long second)
    {
        lock (slot.Rolling)
        {
            if (slot.Second >= second)
            {
                return;
            }
            Array.Clear(slot.Buckets);
            Interlocked.Exchange(ref slot.Errors, 0);
            Volatile.Write(ref slot.Second, second);
        }
    }
}
