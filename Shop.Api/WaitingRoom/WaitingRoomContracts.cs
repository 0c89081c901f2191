namespace Shop.Api.WaitingRoom;

public static class WaitingStates
{
    public const string Waiting = "Waiting";
    public const string Admitted = "Admitted";
    /// <summary>No sale needs a queue right now (or Redis is down and the sale says to let shoppers through).</summary>
    public const string Open = "Open";
    /// <summary>The admission ran out or the turn was missed; joining again gives a new place at the back.</summary>
    public const string Expired = "Expired";
}

/// <summary>
/// What a shopper in the waiting room sees. Position and ETA are null while a lottery draw is still to come.
/// <c>QueueUrl</c> is the sale's <see cref="QueueState"/>, which a waiting page follows from then on; <c>ServingAtJoin</c>
/// (in the answer to a join) is where the queue stood, the start of the page's progress bar.
/// </summary>
public sealed record WaitingRoomStatus(
    string State,
    long? Position,
    long? Ahead,
    int? EtaSeconds,
    string? Ticket,
    string? AdmissionToken,
    DateTimeOffset? AdmittedUntil,
    string? SaleId,
    string? SaleName,
    string? QueueMode,
    DateTimeOffset? StartsAt,
    bool Paused,
    string? QueueUrl = null,
    long? ServingAtJoin = null);

/// <summary>
/// One sale's queue as every waiter sees it, the same answer for all (no ticket read, no cookie set), so the edge keeps it
/// for a second and the crowd's polls never reach a service. Each waiting page works out its own place from it.
/// </summary>
/// <param name="State">Upcoming, Live.</param>
/// <param name="Open">No queue right now (Redis is down and the sale lets shoppers through): ask for the admission.</param>
/// <param name="Serving">Every position up to and including this one has had its turn.</param>
/// <param name="LastPosition">The last place given so far.</param>
/// <param name="AdmissionsPerMinute">The pace shoppers are let in at now: the sale's rate, slowed while the shop is struggling; 0 while paused.</param>
/// <param name="Drawn">A lottery sale's places have been drawn (always true for first-come sales once live).</param>
/// <param name="AsOf">When this answer was made, to judge its age and time to the start without trusting the client's clock.</param>
/// <param name="HeartbeatWithin">Waiters this close to the front (people ahead) ask for their status every
/// <paramref name="HeartbeatSeconds"/>: one who stops asking is skipped as abandoned when its turn comes.</param>
public sealed record QueueState(
    string SaleId,
    string State,
    bool Open,
    long Serving,
    long LastPosition,
    double AdmissionsPerMinute,
    bool Paused,
    bool Drawn,
    DateTimeOffset StartsAt,
    DateTimeOffset AsOf,
    long HeartbeatWithin,
    int HeartbeatSeconds);

/// <summary>The sale the store is gated by, for the storefront: <c>Enforced</c> says whether pages need an admission now.</summary>
public sealed record CurrentSale(
    string? SaleId, string? Name, string State, string? QueueMode, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, bool Enforced,
    int? AdmissionsPerMinute, int? MaxActiveShoppers, bool Paused);

public sealed record SaleDefinition(
    string? Name,
    DateTimeOffset? StartsAt,
    DateTimeOffset? EndsAt,
    int? AdmissionsPerMinute,
    int? MaxActiveShoppers,
    int? SessionMinutes,
    string? QueueMode,
    string? WhenRedisDown,
    int? OrdersPerAdmission,
    int? AbandonAfterSeconds);

public sealed record SaleResponse(
    string Id, string Name, DateTimeOffset StartsAt, DateTimeOffset EndsAt, int AdmissionsPerMinute, int MaxActiveShoppers,
    int SessionMinutes, string QueueMode, string WhenRedisDown, int OrdersPerAdmission, int AbandonAfterSeconds, bool Paused, bool Live);

/// <summary>
/// A sale's figures. <c>EffectiveAdmissionsPerMinute</c> is the pace now; <c>Pacing</c> says why it is below the sale's
/// rate (its reason, since when, and the signals of the last check), null until an admission leader has checked once;
/// <c>SlowStartAdmissionsPerMinute</c> is the sale's slow-start cap while it ramps up (<see cref="AdmissionRamp"/>),
/// null once it has reached the sale's rate or before the sale admits.
/// </summary>
public sealed record SaleStats(
    long Joined, long Waiting, long Admitted, long Active, long Abandoned, int AdmissionsPerMinute, double EffectiveAdmissionsPerMinute, bool Paused,
    PacingState? Pacing, double? SlowStartAdmissionsPerMinute = null);

/// <summary>The waiting room cannot take new shoppers (Redis is down and the sale's policy is Closed).</summary>
public sealed class WaitingRoomUnavailableException(string message) : Exception(message);
