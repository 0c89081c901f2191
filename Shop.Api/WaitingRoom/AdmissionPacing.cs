using Shop.Data.Sales;

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

/// <summary>
/// A sale's slow-start rate (admissions per minute) and, once trouble was seen, its threshold: half the rate at which
/// it appeared. Below the threshold the rate doubles, at or above it it grows by one start step, as TCP's congestion
/// window does.
/// </summary>
public sealed record RampState(double Rate, double? Threshold = null);

/// <summary>
/// Slow start: a sale that begins admitting (or resumes after a pause) does not open at its configured rate, which is
/// only an upper bound the shop may not sustain. It starts at <see cref="WaitingRoomOptions.RampStartPerMinute"/> and
/// doubles at each health check while nothing is over its threshold, until it reaches the sale's rate; a check with
/// something over its threshold halves it and remembers half the rate it had as the point from which it grows by one
/// start step per check instead of doubling. The shop's capacity is found in seconds, before a crowd of admitted
/// shoppers has piled up behind signals that only report a request once it is answered, and a shop that was in trouble
/// is approached slowly the second time (the first Black Friday mix with doubling alone went 600 → 30,000 in 12 s after
/// its recovery and drowned again).
/// </summary>
public static class AdmissionRamp
{
    /// <summary>Where a sale's ramp starts (per minute): never above the sale's own rate.</summary>
    public static double Start(int admissionsPerMinute, WaitingRoomOptions options) => Math.Min(admissionsPerMinute, options.RampStartPerMinute);

    /// <summary>
    /// The sale's slow-start rate (per minute) given the one the admission leader stored, or null while it has none (not
    /// open yet, or paused). A live sale with none stored is at the start: the leader has not reached it yet (it just
    /// opened or resumed, or leadership is changing hands) and that is where it will begin, never at the sale's full rate.
    /// </summary>
    public static double? Current(Sale sale, double? stored, DateTimeOffset now, WaitingRoomOptions options) =>
        sale.Paused ? null : stored ?? (sale.IsLive(now) ? Start(sale.AdmissionsPerMinute, options) : null);

    /// <summary>The ramp after a health check; at the sale's rate it has nothing more to do.</summary>
    public static RampState Next(RampState ramp, int admissionsPerMinute, bool healthy, WaitingRoomOptions options)
    {
        var step = Start(admissionsPerMinute, options);
        if (!healthy)
        {
            var floor = Math.Min(step, admissionsPerMinute * options.MinimumRateFactor);
            return new RampState(Math.Max(floor, ramp.Rate / 2), Math.Max(floor, ramp.Rate / 2));
        }
        var next = ramp.Threshold is { } threshold && ramp.Rate >= threshold
            ? ramp.Rate + step
            : Math.Min(ramp.Threshold ?? double.MaxValue, ramp.Rate * 2);
        return ramp with { Rate = Math.Min(admissionsPerMinute, next) };
    }

    /// <summary>The share of the sale's rate admitted now: the shop-wide pacing factor, capped by the sale's ramp (null: none).</summary>
    public static double Factor(int admissionsPerMinute, double pacingFactor, double? ramp) =>
        ramp is { } r && admissionsPerMinute > 0 ? Math.Min(pacingFactor, r / admissionsPerMinute) : pacingFactor;
}
