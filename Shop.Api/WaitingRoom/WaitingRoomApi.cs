using Shop.ServiceDefaults.Endpoints;
using Shop.ServiceDefaults.Redis;
using System.Net;
using Microsoft.Extensions.Options;
using Shop.Data;
using Shop.Messaging;

namespace Shop.Api.WaitingRoom;

public static class WaitingRoomApi
{
    /// <summary>The wait a 503 of the waiting room asks for, its store (Redis) being away.</summary>
    public const int RetryAfterSeconds = 5;

    public static IEndpointRouteBuilder MapWaitingRoomApi(this IEndpointRouteBuilder app)
    {
        var room = app.MapGroup("/api/waitingroom").WithTags("WaitingRoom");
        room.MapGet("/sale", (WaitingRoomService service) => TypedResults.Ok(service.Current())).WithName("CurrentSale");
        room.MapPost("/join", Join).WithName("JoinWaitingRoom");
        room.MapGet("/status", Status).WithName("WaitingRoomStatus");
        room.MapGet("/sales/{saleId}/queue", Queue).WithName("SaleQueue");
        room.MapPost("/leave", Leave).WithName("LeaveWaitingRoom");
        return app;
    }

    public static async Task<Results<Ok<WaitingRoomStatus>, ProblemHttpResult>> Join(HttpContext context, WaitingRoomService service)
    {
        var ticket = WaitingRoomCookies.ReadTicket(context.Request);
        // The join limit counts per client: an IPv4 address or an IPv6 /64.
        var client = Shop.ServiceDefaults.Security.ClientAddress.Partition(context);
        try
        {
            switch (await service.JoinAsync(ticket, client))
            {
                case WaitingRoomService.TooManyJoins tooMany:
                    var seconds = (int)Math.Ceiling(tooMany.RetryAfter.TotalSeconds);
                    context.Response.Headers.RetryAfter = seconds.ToString();
                    return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many joins",
                        detail: $"Too many people joined from your network address just now. Try again in {seconds} seconds.");
                case WaitingRoomService.InLine inLine:
                    return TypedResults.Ok(WithCookies(context, inLine.Status, ticket));
                case var other:
                    throw new InvalidOperationException($"Unexpected join outcome {other}");
            }
        }
        catch (WaitingRoomUnavailableException e)
        {
            return Unavailable(context, e);
        }
    }

    public static async Task<Results<Ok<WaitingRoomStatus>, ProblemHttpResult>> Status(HttpContext context, WaitingRoomService service)
    {
        var ticket = WaitingRoomCookies.ReadTicket(context.Request);
        try
        {
            return await service.StatusAsync(ticket) is { } status
                ? TypedResults.Ok(WithCookies(context, status, ticket))
                : NoTicket();
        }
        catch (WaitingRoomUnavailableException e)
        {
            return Unavailable(context, e);
        }
    }

    /// <summary>
    /// The sale's queue, the same for every waiter: the edge keeps it for a second (<c>public, max-age=1</c>), so the
    /// crowd's polls are answered there. Reads no ticket and sets no cookie, or the edge could not share it.
    /// </summary>
    public static async Task<Results<Ok<QueueState>, ProblemHttpResult>> Queue(string saleId, HttpContext context, WaitingRoomService service)
    {
        try
        {
            if (await service.QueueAsync(saleId) is not { } queue)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such sale",
                    detail: $"No sale '{saleId}' is running or coming up. It may have ended; join again to see what is on now.");
            }
            context.Response.Headers.CacheControl = "public, max-age=1";
            return TypedResults.Ok(queue);
        }
        catch (WaitingRoomUnavailableException e)
        {
            return Unavailable(context, e);
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Leave(HttpContext context, WaitingRoomService service, ShopDbContext db,
        CancellationToken cancellationToken)
    {
        try
        {
            await service.LeaveAsync(WaitingRoomCookies.ReadTicket(context.Request), db, cancellationToken);
        }
        catch (Exception e) when (RedisFailure.Is(e) || e is TaskCanceledException)
        {
            // Orders already refuse the admission (Postgres holds the leave), but the queue has not heard of it: the shopper
            // keeps the cookies and tries again, which is safe, rather than be told it is done while status still admits them.
            // A database outage is DatabaseUnavailableHandler's 503.
            return ServiceUnavailable.Problem(context.Response, RetryAfterSeconds, "Could not leave right now",
                $"Leaving could not be completed, so your place or admission still stands in the queue. Try again in {RetryAfterSeconds} seconds.");
        }
        context.Response.Cookies.Delete(WaitingRoomCookies.Ticket);
        context.Response.Cookies.Delete(WaitingRoomCookies.Admission);
        return TypedResults.NoContent();
    }

    private static WaitingRoomStatus WithCookies(HttpContext context, WaitingRoomStatus status, string? presentedTicket)
    {
        var keepUntil = DateTimeOffset.UtcNow.AddDays(1);
        if (status.Ticket is { } ticket && ticket != presentedTicket)
        {
            WaitingRoomCookies.Write(context.Response, WaitingRoomCookies.Ticket, ticket, keepUntil);
        }
        if (status is { AdmissionToken: { } admission, AdmittedUntil: { } until }
            && WaitingRoomCookies.ReadAdmission(context.Request) != admission)
        {
            WaitingRoomCookies.Write(context.Response, WaitingRoomCookies.Admission, admission, until);
        }
        return status;
    }

    private static ProblemHttpResult NoTicket() => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not in the waiting room",
        detail: $"There is no waiting-room ticket for the current sale in this request. Join first (POST /api/waitingroom/join) and send the ticket back in the {WaitingRoomCookies.Ticket} cookie or the {WaitingRoomPassNames.TicketHeader} header.");

    private static ProblemHttpResult Unavailable(HttpContext context, WaitingRoomUnavailableException e) =>
        ServiceUnavailable.Problem(context.Response, RetryAfterSeconds, "The waiting room is closed for a moment",
            $"New shoppers cannot join right now because {e.Message}. Your place is safe if you have one; try again in {RetryAfterSeconds} seconds.");
}
