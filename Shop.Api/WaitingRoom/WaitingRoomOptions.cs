using System.ComponentModel.DataAnnotations;
using Shop.Messaging;

namespace Shop.Api.WaitingRoom;

/// <summary>The <c>WaitingRoom</c> section's pacing and limits; its signing key is <see cref="WaitingRoomPassOptions"/>.</summary>
public sealed class WaitingRoomOptions
{
    public const string SectionName = WaitingRoomPassOptions.SectionName;

    /// <summary>
    /// New joins one client IP may make per <see cref="JoinLimitWindow"/>, counted across all instances. Many real
    /// shoppers share an address (a household, an office, a carrier's NAT): 60 per 10 s lets a few hundred arriving over
    /// a minute in, and holds a flood from one address to 6 joins a second (docs/load-testing.md).
    /// </summary>
    [Range(1, 1_000_000)]
    public int JoinLimit { get; set; } = 60;

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan JoinLimitWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the leader moves the serving pointer; admissions are spaced evenly within and across ticks.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:05")]
    public TimeSpan AdmissionTick { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often each instance refreshes the serving pointer it answers status polls from.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:01")]
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Order messages waiting in the queue above which admission slows down.</summary>
    [Range(1, 10_000_000)]
    public int BacklogThreshold { get; set; } = 2000;

    /// <summary>Age of the oldest order the worker has not applied above which admission slows down.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LagThreshold { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The lowest share of the configured rate health-driven admission goes down to.</summary>
    [Range(0.01, 1.0)]
    public double MinimumRateFactor { get; set; } = 0.1;

    /// <summary>p95 of the admitted shoppers' requests (any one service, its instances together) above which admission slows down.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:30")]
    public TimeSpan LatencyThreshold { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Share of the admitted shoppers' requests answered 5xx (any one service) above which admission slows down.</summary>
    [Range(0.0001, 1.0)]
    public double ErrorRateThreshold { get; set; } = 0.01;

    /// <summary>Requests a service must have answered in the window before its p95 and 5xx rate count: two slow answers are no trend.</summary>
    [Range(1, 1_000_000)]
    public int MinimumRequests { get; set; } = 20;

    /// <summary>
    /// Admissions per minute a sale starts at when it begins admitting or resumes (slow start, <see cref="AdmissionRamp"/>);
    /// it doubles every health check while the shop is healthy, up to the sale's rate.
    /// </summary>
    [Range(1, 10_000_000)]
    public double RampStartPerMinute { get; set; } = 600;

    /// <summary>Share of the configured rate given back at each health check (every 2 s) while nothing is over its threshold.</summary>
    [Range(0.01, 1.0)]
    public double RecoveryStep { get; set; } = 0.1;
}
