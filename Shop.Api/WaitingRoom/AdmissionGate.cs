using Shop.Data.Sales;
using Shop.Messaging;

namespace Shop.Api.WaitingRoom;

/// <summary>During a live sale an order needs the admission the waiting room issued, presented with its own ticket.</summary>
public sealed class AdmissionGate(WaitingRoomService waitingRoom, WaitingRoomPasses passes, WaitingRoomMetrics metrics, TimeProvider clock)
{
    public abstract record Decision;
    /// <summary>No live sale (or Redis is down and the sale lets everyone through): no admission needed.</summary>
    public sealed record NotRequired : Decision;
    public sealed record Admitted(Sale Sale, AdmissionClaims Claims, string Token) : Decision;
    public sealed record Refused(string Reason, string Detail) : Decision;

    public Decision Check(HttpRequest request)
    {
        if (waitingRoom.EnforcedSale() is not { } sale)
        {
            return new NotRequired();
        }
        var token = WaitingRoomCookies.ReadAdmission(request);
        var decision = Judge(sale, token, WaitingRoomCookies.ReadTicket(request));
        if (decision is Refused refused)
        {
            metrics.TokenRejected(refused.Reason);
        }
        return decision;
    }

    private Decision Judge(Sale sale, string? token, string? ticketPass)
    {
        var check = passes.CheckAdmission(token, ticketPass, sale.Id, clock.GetUtcNow());
        return check.Refusal switch
        {
            null => new Admitted(sale, check.Claims!, token!),
            AdmissionRefusals.Missing => new Refused(check.Refusal,
                $"Orders during the sale \"{sale.Name}\" need an admission from the waiting room. Join it at /waiting-room and order once it lets you in."),
            AdmissionRefusals.Invalid => new Refused(check.Refusal, $"The {WaitingRoomPassNames.AdmissionHeader} is not an admission this shop issued."),
            AdmissionRefusals.OtherSale => new Refused(check.Refusal, $"The admission is for another sale, not for the sale \"{sale.Name}\"."),
            AdmissionRefusals.Expired => new Refused(check.Refusal, "The admission has expired. Join the waiting room again."),
            _ => new Refused(check.Refusal,
                $"The admission belongs to another waiting-room ticket; send it with its own ticket ({WaitingRoomPassNames.TicketHeader} or the ticket cookie)."),
        };
    }
}

/// <summary>The waiting room's two HttpOnly cookies; clients without cookies send the same values in headers.</summary>
public static class WaitingRoomCookies
{
    public const string Ticket = WaitingRoomPassNames.TicketCookie;
    public const string Admission = WaitingRoomPassNames.AdmissionCookie;

    public static string? ReadTicket(HttpRequest request) => Read(request, WaitingRoomPassNames.TicketHeader, Ticket);

    public static string? ReadAdmission(HttpRequest request) => Read(request, WaitingRoomPassNames.AdmissionHeader, Admission);

    private static string? Read(HttpRequest request, string header, string cookie) =>
        request.Headers[header] is { Count: 1 } values ? values.ToString()
        : request.Cookies.TryGetValue(cookie, out var value) ? value : null;

    public static void Write(HttpResponse response, string name, string value, DateTimeOffset expires) =>
        response.Cookies.Append(name, value, new CookieOptions
        {
            HttpOnly = true,
            Secure = response.HttpContext.Request.IsHttps,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            Expires = expires,
            IsEssential = true,
        });
}
