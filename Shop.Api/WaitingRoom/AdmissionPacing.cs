namespace Shop.Api.WaitingRoom;

/// <summary>Why admission runs below the sale's rate right now; <see cref="None"/> while it is at or back on its way to full speed.</summary>
public static class PacingReasons
{
    public const string None = "none";
    public const string Errors = "errors";
    public const string Latency = "latency";
    public const string Backlog = "backlog";
    public const string Lag = "lag";
}

/// <summary>How one service's admitted shoppers were served over the last seconds, all its instances together.</summary>
public sealed record ServiceSignal(string Service, long Requests, double P95Ms, double ErrorRate);

/// <summary>What the pacing rule looks at: how far behind checkout is, and how the admitted shoppers are served.</summary>
public sealed record PacingSignals(long Backlog, double LagSeconds, IReadOnlyList<ServiceSignal> Services);

/// <summary>The admission rate factor, why it is where it is, since when, and the signals of the last check.</summary>
public sealed record PacingState(double Factor, string Reason, DateTimeOffset ChangedAt, DateTimeOffset CheckedAt, PacingSignals Signals);

/// <summary>
/// The pacing rule, in one place: while anything is over its threshold the factor halves at each check (down to the
/// minimum), otherwise it climbs back by a fixed step. Errors outrank latency, which outranks checkout's backlog and
/// lag, in naming the reason: what the admitted shoppers feel first.
/// </summary>
public static class AdmissionPacing
{
    public static (double Factor, string Reason) Next(double factor, PacingSignals signals, WaitingRoomOptions options)
    {
        var reason = ReasonToSlow(signals, options);
        var next = reason == PacingReasons.None
            ? Math.Min(1.0, Math.Round(factor + options.RecoveryStep, 3))
            : Math.Max(options.MinimumRateFactor, Math.Round(factor / 2, 3));
        return (next, reason);
    }

    public static string ReasonToSlow(PacingSignals signals, WaitingRoomOptions options)
    {
        var measured = signals.Services.Where(s => s.Requests >= options.MinimumRequests).ToList();
        if (measured.Any(s => s.ErrorRate > options.ErrorRateThreshold))
        {
            return PacingReasons.Errors;
        }
        if (measured.Any(s => s.P95Ms > options.LatencyThreshold.TotalMilliseconds))
        {
            return PacingReasons.Latency;
        }
        if (signals.Backlog > options.BacklogThreshold)
        {
            return PacingReasons.Backlog;
        }
        return signals.LagSeconds > options.LagThreshold.TotalSeconds ? PacingReasons.Lag : PacingReasons.None;
    }
}
