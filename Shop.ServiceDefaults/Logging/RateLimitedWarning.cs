namespace Shop.ServiceDefaults.Logging;

/// <summary>
/// One warning per interval for a failure that repeats on every request while it lasts (a dependency away, an
/// overloaded peer): a warning per request would cost more than the request and bury everything else in the log.
/// The warning that goes out says how many were held back since the last one.
/// </summary>
public sealed class RateLimitedWarning(TimeSpan interval)
{
    private long lastWarningAt = long.MinValue / 2; // the first failure always warns
    private long heldBack;

    public TimeSpan Interval => interval;

    /// <summary>True at most once per <see cref="Interval"/>; <paramref name="suppressed"/> is how many calls were held back before this one.</summary>
    public bool ShouldWarn(out long suppressed)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref lastWarningAt);
        if (now - last >= (long)interval.TotalMilliseconds && Interlocked.CompareExchange(ref lastWarningAt, now, last) == last)
        {
            suppressed = Interlocked.Exchange(ref heldBack, 0);
            return true;
        }
        Interlocked.Increment(ref heldBack);
        suppressed = 0;
        return false;
    }
}
