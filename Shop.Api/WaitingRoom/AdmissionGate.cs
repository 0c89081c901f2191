using Shop.Data.Sales;
using Shop.Messaging;

namespace Shop.Api.WaitingRoom;

/// <summary>During a live sale an order needs the admission the waiting room issued, presented with its own ticket.</summary>
public sealed class AdmissionGate(WaitingRoomService waitingRoom, WaitingRoomPasses passes, WaitingRoomMetrics metrics, TimeProvider clock)
{
    public const string AdmissionHeader = "X-Admission-Token";
    public const string TicketHeader = "X-Waiting-Ticket";

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
        var token = WaitingRoomCookies.Read(request, AdmissionHeader, WaitingRoomCookies.Admission);
        var ticketPass = WaitingRoomCookies.Read(request, TicketHeader, WaitingRoomCookies.Ticket);
        var decision = Judge(sale, token, ticketPass);
        if (decision is Refused refused)
        {
            metrics.TokenRejected(refused.Reason);
        }
        return decision;
    }

    private Decision Judge(Sale sale, string? token, string? ticketPass)
    {
        var during = $"during the sale \"{sale.Name}\"";
        if (string.IsNullOrEmpty(token))
        {
            return new Refused("missing", $"Orders {during} need an admission from the waiting room. Join it at /waiting-room and order once it lets you in.");
        }
        if (!passes.TryReadAdmission(token, out var claims))
        {
            return new Refused("invalid", $"The {AdmissionHeader} is not an admission this shop issued.");
        }
        if (claims.SaleId != sale.Id)
        {
            return new Refused("other_sale", $"The admission is for another sale, not for the sale \"{sale.Name}\".");
        }
        if (claims.ExpiresAt <= clock.GetUtcNow())
        {
            return new Refused("expired", "The admission has expired. Join the waiting room again.");
        }
        if (!passes.TryReadTicket(ticketPass, out var ticket) || ticket.TicketId != claims.TicketId || ticket.SaleId != sale.Id)
        {
            return new Refused("wrong_ticket", $"The admission belongs to another waiting-room ticket; send it with its own ticket ({TicketHeader} or the ticket cookie).");
        }
        return new Admitted(sale, claims, token);
    }
}

/// <summary>The waiting room's two HttpOnly cookies; clients without cookies send the same values in headers.</summary>
public static class WaitingRoomCookies
{
    public const string Ticket = "shop.wr.ticket";
    public const string Admission = "shop.wr.admission";

    public static string? Read(HttpRequest request, string header, string cookie) =>
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
