namespace Shop.Api.Orders;

/// <summary>What a shopper sends. Every member is nullable so a missing one gets a message naming it, not a binder error.</summary>
public sealed record PlaceOrderRequest(OrderCustomerRequest? Customer, IReadOnlyList<OrderItemRequest?>? Items);

public sealed record OrderCustomerRequest(string? Email, string? Name);

/// <remarks>Any price the client sends is not even read: the server prices every line itself.</remarks>
public sealed record OrderItemRequest(int? ProductId, int? Quantity);

public sealed record OrderAccepted(Guid OrderId, string Status, string StatusUrl);

public sealed record OrderStatusResponse(
    Guid OrderId, string Status, string? Reason, IReadOnlyList<OrderStatusLine> Lines, decimal Total, string Currency, DateTimeOffset CreatedAt);

public sealed record OrderStatusLine(int ProductId, int Quantity, decimal UnitPrice);
