using System.Net;
using Microsoft.AspNetCore.Mvc;
using Shop.Messaging;
using Shop.Web.Platform;

namespace Shop.Web.Orders;

public sealed record OrderStatusLine(int ProductId, string Sku, string Name, int Quantity, decimal UnitPrice);

public sealed record OrderStatus(Guid OrderId, string Status, string? Reason, IReadOnlyList<OrderStatusLine> Lines, decimal Total, string Currency, DateTimeOffset CreatedAt)
{
    public bool IsFinal => Status is "Confirmed" or "Rejected";
}

public abstract record PlaceOrderResult
{
    public sealed record Accepted(Guid OrderId) : PlaceOrderResult;
    /// <summary>The API said no to the order as it is (a product gone, a field wrong); the message is for the shopper.</summary>
    public sealed record Refused(string Message) : PlaceOrderResult;
    /// <summary>Nothing was placed; the same form (same idempotency key) may be sent again after the wait.</summary>
    public sealed record Busy(TimeSpan RetryAfter) : PlaceOrderResult;
}

/// <summary>
/// Orders, straight to the API instances (<see cref="ApiInstances"/>), with an idempotency key so a double click is one
/// order, and so an order cut off by an instance that went away may be sent to the next one.
/// </summary>
public sealed class OrdersClient(ApiInstances api)
{
    private sealed record PlaceOrder(Customer Customer, IReadOnlyList<Item> Items);
    private sealed record Customer(string Email, string Name);
    private sealed record Item(int ProductId, int Quantity);
    private sealed record Accepted(Guid OrderId, string Status, string StatusUrl);

    /// <param name="waitingRoom">The shopper's waiting-room ticket and admission (cookies the API set), needed during a sale.</param>
    public async Task<PlaceOrderResult> PlaceAsync(string idempotencyKey, string email, string name, IEnumerable<(int ProductId, int Quantity)> lines,
        (string? Ticket, string? Admission) waitingRoom = default)
    {
        var order = new PlaceOrder(new Customer(email, name), [.. lines.Select(l => new Item(l.ProductId, l.Quantity))]);
        using var response = await api.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(order) };
            request.Headers.Add("Idempotency-Key", idempotencyKey);
            if (waitingRoom.Admission is { } admission && waitingRoom.Ticket is { } ticket)
            {
                request.Headers.Add(WaitingRoomPassNames.AdmissionHeader, admission);
                request.Headers.Add(WaitingRoomPassNames.TicketHeader, ticket);
            }
            return request;
        });
        switch (response.StatusCode)
        {
            case HttpStatusCode.Accepted:
                return new PlaceOrderResult.Accepted((await response.Content.ReadFromJsonAsync<Accepted>())!.OrderId);
            case HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout:
                return new PlaceOrderResult.Busy(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(5));
            case var status when (int)status is >= 400 and < 500:
                var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>();
                var messages = problem?.Errors.Values.SelectMany(m => m).ToList() ?? [];
                return new PlaceOrderResult.Refused(messages.Count > 0 ? string.Join(" ", messages) : problem?.Detail ?? "The order could not be placed.");
            default:
                response.EnsureSuccessStatusCode();
                throw new HttpRequestException($"Unexpected answer {response.StatusCode} to an order.");
        }
    }

    public async Task<OrderStatus?> FindAsync(Guid orderId)
    {
        using var response = await api.GetAsync($"/api/orders/{orderId}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<OrderStatus>();
    }
}
