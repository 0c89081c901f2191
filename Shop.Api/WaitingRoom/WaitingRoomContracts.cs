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

/// <summary>What a shopper in the waiting room sees. Position and ETA are null while a lottery draw is still to come.</summary>
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
    bool Paused);

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
/// rate (its reason, since when, and the signals of the last check), null until an admission leader has checked once.
/// </summary>
public sealed record SaleStats(
    long Joined, long Waiting, long Admitted, long Active, long Abandoned, int AdmissionsPerMinute, double EffectiveAdmissionsPerMinute, bool Paused,
    PacingState? Pacing);

/// <summary>The waiting room cannot take new shoppers (Redis is down and the sale's policy is Closed).</summary>
public sealed class WaitingRoomUnavailableException(string message) : Exception(message);
