using Shop.Messaging;
using Shop.ServiceDefaults.Logging;
using Shop.ServiceDefaults.Redis;
using Shop.ServiceDefaults.Security;
using Shop.Web.Platform;
using StackExchange.Redis;

namespace Shop.Web.WaitingRoom;

public sealed record CurrentSale(string? SaleId, string? Name, string State, string? QueueMode, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, bool Enforced, bool Paused);

/// <summary>
/// The sale the store is gated by, as the API sees it, asked at most once a second per storefront instance and by one
/// request at a time: the pages that need a fresh answer meanwhile wait for that same answer, so a slow API under a
/// peak costs one request a second, not one per page.
/// </summary>
public sealed class SaleClient(ApiInstances api, TimeProvider clock, ILogger<SaleClient> logger)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);
    private sealed record Cached(CurrentSale? Sale, DateTimeOffset At);
    private volatile Cached? cached;
    private Task<CurrentSale?>? asking;
    private readonly Lock gate = new();
    private readonly RateLimitedWarning unanswered = new(TimeSpan.FromSeconds(10));

    public Task<CurrentSale?> CurrentAsync()
    {
        var now = clock.GetUtcNow();
        var known = cached;
        if (known is not null && now - known.At < CacheFor)
        {
            return Task.FromResult(known.Sale);
        }
        lock (gate)
        {
            return asking ??= AskAsync();
        }
    }

    private async Task<CurrentSale?> AskAsync()
    {
        await Task.Yield();
        try
        {
            using var response = await api.GetAsync("/api/waitingroom/sale");
            response.EnsureSuccessStatusCode();
            var sale = await response.Content.ReadFromJsonAsync<CurrentSale>();
            cached = new Cached(sale, clock.GetUtcNow());
            return sale;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            // Without the API nothing can be sold anyway; the pages themselves say so.
            if (unanswered.ShouldWarn(out var suppressed))
            {
                logger.LogWarning(e, "Could not ask the API for the current sale ({Suppressed} more failures since the last warning)", suppressed);
            }
            return cached?.Sale;
        }
        finally
        {
            lock (gate)
            {
                asking = null;
            }
        }
    }
}

/// <summary>
/// During a live sale every store page needs an admission: a shopper without one (or with one for another sale, an
/// expired one, one issued to another ticket, or one whose session ended because the shopper left or used its orders)
/// is sent to the waiting room, which sends them back when it is their turn.
/// </summary>
public sealed class WaitingRoomGate(RequestDelegate next, IConnectionMultiplexer redis, RedisTolerance tolerance, ILogger<WaitingRoomGate> logger)
{
    public const string WaitingRoomPath = "/waiting-room";

    // An order's own page (an unguessable id, nothing for sale on it) stays open once the order has spent the admission.
    private static readonly string[] OpenPrefixes = [WaitingRoomPath, "/orders", "/_framework", "/_content", "/not-found", "/health", "/alive"];

    public async Task InvokeAsync(HttpContext context, SaleClient sales, WaitingRoomPasses passes, TimeProvider clock)
    {
        if (!IsStorePage(context.Request) || await sales.CurrentAsync() is not { Enforced: true, SaleId: { } saleId }
            || await HasLiveAdmissionAsync(context.Request, saleId, passes, clock.GetUtcNow()))
        {
            await next(context);
            return;
        }
        // A path such as "//evil.example" is a store page too; the waiting room would refuse it, so it is not offered.
        var returnUrl = HttpMethods.IsGet(context.Request.Method) ? LocalUrl.OrHome($"{context.Request.Path}{context.Request.QueryString}") : LocalUrl.Home;
        context.Response.StatusCode = HttpMethods.IsGet(context.Request.Method) ? StatusCodes.Status302Found : StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = $"{WaitingRoomPath}?returnUrl={Uri.EscapeDataString(returnUrl)}";
    }

    private async Task<bool> HasLiveAdmissionAsync(HttpRequest request, string saleId, WaitingRoomPasses passes, DateTimeOffset now)
    {
        var check = passes.CheckAdmission(request.Cookies[WaitingRoomPassNames.AdmissionCookie], request.Cookies[WaitingRoomPassNames.TicketCookie], saleId, now);
        if (check is not { Holds: true, Claims: { } admission })
        {
            return false;
        }
        try
        {
            return !await tolerance.RunAsync(() => redis.GetDatabase().SetContainsAsync(WaitingRoomKeys.Ended(saleId), admission.Position));
        }
        catch (Exception e) when (RedisFailure.Is(e))
        {
            // Also while Redis is marked down (RedisTolerance): no page waits out a timeout for this check.
            // Without Redis the signature is all there is to check; orders are still refused in Postgres.
            logger.LogDebug(e, "Could not ask whether admission {Position} has ended", admission.Position);
            return true;
        }
    }

    private static bool IsStorePage(HttpRequest request) =>
        !OpenPrefixes.Any(p => request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))
        && !Path.HasExtension(request.Path.Value);
}
