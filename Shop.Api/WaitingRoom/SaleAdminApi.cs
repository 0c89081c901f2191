using Microsoft.EntityFrameworkCore;
using Shop.Api.Admin;
using Shop.Api.Platform;
using Shop.Data;
using Shop.Data.Sales;
using Shop.ServiceDefaults.Endpoints;
using Shop.ServiceDefaults.Redis;
using Shop.ServiceDefaults.Security;

namespace Shop.Api.WaitingRoom;

/// <summary>Staff create, change, pause and end sale events; every API instance picks a change up within a second.</summary>
public static class SaleAdminApi
{
    public static IEndpointRouteBuilder MapSaleAdminApi(this IEndpointRouteBuilder app)
    {
        var sales = app.MapGroup("/api/admin/sales").WithTags("Admin").RequireAdminKey();
        sales.MapPut("/{saleId}", PutSale).WithName("PutSale");
        sales.MapPost("/{saleId}/pause", (string saleId, ShopDbContext db, SaleDirectory directory, TimeProvider clock, CancellationToken ct) =>
            SetPausedAsync(saleId, true, db, directory, clock, ct)).WithName("PauseSale");
        sales.MapPost("/{saleId}/resume", (string saleId, ShopDbContext db, SaleDirectory directory, TimeProvider clock, CancellationToken ct) =>
            SetPausedAsync(saleId, false, db, directory, clock, ct)).WithName("ResumeSale");
        sales.MapDelete("/{saleId}", EndSale).WithName("EndSale");
        sales.MapGet("/{saleId}/stats", Stats).WithName("SaleStats");
        return app;
    }

    public static async Task<Results<Created<SaleResponse>, Ok<SaleResponse>, ValidationProblem, ProblemHttpResult>> PutSale(
        string saleId, SaleDefinition definition, ShopDbContext db, SaleDirectory directory, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = Validate(saleId, definition);
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }
        // Times are stored as UTC: "+01:00" is a valid way to send one, and Npgsql writes only offset-zero values to timestamptz.
        // One upsert, so two staff PUTs of a new sale at once are one create and one change (not a duplicate-key 500),
        // and a PUT racing a DELETE never changes an ended sale. xmax = 0 tells a fresh row from an updated one.
        var now = clock.GetUtcNow();
        var created = await db.Database.SqlQuery<bool>($"""
            INSERT INTO sales (id, name, starts_at, ends_at, admissions_per_minute, max_active_shoppers, session_minutes, queue_mode,
                               when_redis_down, orders_per_admission, abandon_after_seconds, paused, updated_at)
            VALUES ({saleId}, {definition.Name!.Trim()}, {definition.StartsAt!.Value.ToUniversalTime()}, {definition.EndsAt!.Value.ToUniversalTime()}, {definition.AdmissionsPerMinute!.Value},
                    {definition.MaxActiveShoppers!.Value}, {definition.SessionMinutes!.Value}, {definition.QueueMode ?? SaleQueueModes.Fifo},
                    {definition.WhenRedisDown ?? RedisDownPolicies.Closed}, {definition.OrdersPerAdmission ?? 1}, {definition.AbandonAfterSeconds ?? 120},
                    false, {now})
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
                admissions_per_minute = excluded.admissions_per_minute, max_active_shoppers = excluded.max_active_shoppers,
                session_minutes = excluded.session_minutes, queue_mode = excluded.queue_mode, when_redis_down = excluded.when_redis_down,
                orders_per_admission = excluded.orders_per_admission, abandon_after_seconds = excluded.abandon_after_seconds,
                updated_at = excluded.updated_at
            WHERE sales.ended_at IS NULL
            RETURNING xmax = 0 AS "Value"
            """).ToListAsync(cancellationToken);
        if (created.Count == 0)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Sale ended",
                detail: $"The sale {saleId} has been ended and cannot change; create a sale with a new id.");
        }
        await directory.TryRefreshAsync(cancellationToken);

        var sale = await db.Sales.AsNoTracking().SingleAsync(s => s.Id == saleId, cancellationToken);
        var response = ToResponse(sale, clock.GetUtcNow());
        return created[0] ? TypedResults.Created($"/api/admin/sales/{saleId}", response) : TypedResults.Ok(response);
    }

    private static async Task<Results<Ok<SaleResponse>, ProblemHttpResult>> SetPausedAsync(
        string saleId, bool paused, ShopDbContext db, SaleDirectory directory, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var changed = await db.Sales.Where(s => s.Id == saleId && s.EndedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Paused, paused).SetProperty(x => x.UpdatedAt, now), cancellationToken);
        if (changed == 0)
        {
            return SaleNotFound(saleId);
        }
        await directory.TryRefreshAsync(cancellationToken);
        var sale = await db.Sales.AsNoTracking().SingleAsync(s => s.Id == saleId, cancellationToken);
        return TypedResults.Ok(ToResponse(sale, clock.GetUtcNow()));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> EndSale(
        string saleId, ShopDbContext db, SaleDirectory directory, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var ended = await db.Sales.Where(s => s.Id == saleId && s.EndedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now).SetProperty(x => x.UpdatedAt, now), cancellationToken);
        if (ended == 0)
        {
            return SaleNotFound(saleId);
        }
        await directory.TryRefreshAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<SaleStats>, ProblemHttpResult>> Stats(
        string saleId, ShopDbContext db, WaitingRoomStore store, PacingStore pacing, TimeProvider clock, HttpResponse response, CancellationToken cancellationToken)
    {
        var sale = await db.Sales.AsNoTracking().SingleOrDefaultAsync(s => s.Id == saleId, cancellationToken);
        if (sale is null)
        {
            return SaleNotFound(saleId);
        }
        try
        {
            var counts = await store.CountsAsync(sale, clock.GetUtcNow());
            var ramp = await store.RampAsync(sale);
            var factor = AdmissionRamp.Factor(sale.AdmissionsPerMinute, await store.RateFactorAsync(), ramp);
            return TypedResults.Ok(new SaleStats(counts.Joined, counts.Waiting, counts.Admitted, counts.Active, counts.Abandoned,
                sale.AdmissionsPerMinute, sale.Paused ? 0 : Math.Round(sale.AdmissionsPerMinute * factor, 1), sale.Paused, await pacing.ReadAsync(),
                ramp < sale.AdmissionsPerMinute ? ramp : null));
        }
        catch (Exception e) when (RedisFailure.Is(e))
        {
            return ServiceUnavailable.Problem(response, WaitingRoomApi.RetryAfterSeconds, "Statistics unavailable",
                "The waiting room's store (Redis) is not answering; its figures live there. Try again shortly.");
        }
    }

    private static SaleResponse ToResponse(Sale sale, DateTimeOffset now) => new(sale.Id, sale.Name, sale.StartsAt, sale.EndsAt,
        sale.AdmissionsPerMinute, sale.MaxActiveShoppers, sale.SessionMinutes, sale.QueueMode, sale.WhenRedisDown, sale.OrdersPerAdmission,
        sale.AbandonAfterSeconds, sale.Paused, sale.IsLive(now));

    private static ProblemHttpResult SaleNotFound(string saleId) =>
        Problems.NotFound("Sale not found", $"There is no running or upcoming sale with id {saleId}.");

    private static Dictionary<string, string[]> Validate(string saleId, SaleDefinition d)
    {
        var errors = new Dictionary<string, string[]>();
        void Check(bool ok, string field, string message)
        {
            if (!ok) errors[field] = [message];
        }
        Check(saleId.Length is >= 1 and <= 64 && saleId.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'),
            "saleId", "saleId must be 1 to 64 characters: lower-case letters, digits and '-'.");
        Check(!string.IsNullOrWhiteSpace(d.Name) && d.Name.Trim().Length <= 200 && PlainText.IsPlain(d.Name), "name",
            "name is required, at most 200 characters, without control characters.");
        Check(d.StartsAt is not null, "startsAt", "startsAt is required, e.g. 2026-11-27T09:00:00Z.");
        Check(d.EndsAt is not null, "endsAt", "endsAt is required, e.g. 2026-11-27T21:00:00Z.");
        if (d is { StartsAt: { } start, EndsAt: { } end })
        {
            // Postgres keeps microseconds: two instants closer than that would pass here and break the table's check (a 500).
            Check(end - start >= TimeSpan.FromSeconds(1), "endsAt", "endsAt must be at least a second after startsAt.");
        }
        Check(d.AdmissionsPerMinute is >= 1 and <= 1_000_000, "admissionsPerMinute", "admissionsPerMinute must be from 1 to 1,000,000.");
        Check(d.MaxActiveShoppers is >= 1 and <= 10_000_000, "maxActiveShoppers", "maxActiveShoppers must be from 1 to 10,000,000.");
        Check(d.SessionMinutes is >= 1 and <= 1440, "sessionMinutes", "sessionMinutes must be from 1 to 1440.");
        Check(d.QueueMode is null or SaleQueueModes.Fifo or SaleQueueModes.PreQueueLottery, "queueMode",
            $"queueMode must be \"{SaleQueueModes.Fifo}\" or \"{SaleQueueModes.PreQueueLottery}\".");
        Check(d.WhenRedisDown is null or RedisDownPolicies.Closed or RedisDownPolicies.Open, "whenRedisDown",
            $"whenRedisDown must be \"{RedisDownPolicies.Closed}\" or \"{RedisDownPolicies.Open}\".");
        Check(d.OrdersPerAdmission is null or (>= 1 and <= 100), "ordersPerAdmission", "ordersPerAdmission must be from 1 to 100.");
        Check(d.AbandonAfterSeconds is null or (>= 1 and <= 3600), "abandonAfterSeconds", "abandonAfterSeconds must be from 1 to 3600 (default 120).");
        return errors;
    }
}
