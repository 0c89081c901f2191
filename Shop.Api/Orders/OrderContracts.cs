namespace Shop.Api.Orders;

/// <summary>What a shopper sends. Every member is nullable so a missing one gets a message naming it, not a binder error.</summary>
public sealed record PlaceOrderRequest(OrderCustomerRequest? Customer, IReadOnlyList<OrderItemRequest?>? Items);

public sealed record OrderCustomerRequest(string? Email, string? Name);

/// <remarks>Any price the client sends is not even read: the server prices every line itself.</remarks>
public sealed record OrderItemRequest(int? ProductId, int? Quantity);

public sealed record OrderAccepted(Guid OrderId, string Status, string StatusUrl);

public sealed record OrderStatusResponse(
    Guid OrderId, string Status, string? Reason, IReadOnlyList<OrderStatusLine> Lines, decimal Total, string Currency, DateTimeOffset CreatedAt);

/// <summary>One line as it was bought: <see cref="Sku"/> and <see cref="Name"/> are the product's when the order was placed.</summary>
public sealed record OrderStatusLine(int ProductId, string Sku, string Name, int Quantity, decimal UnitPrice);
