namespace Shop.Data.Orders;

/// <summary>
/// One order. The API writes it as <see cref="OrderStatus.Pending"/> before publishing and marks it
/// <see cref="OrderStatus.Accepted"/> once the broker has confirmed; the worker settles it as Confirmed or Rejected.
/// </summary>
public sealed class Order
{
    public Guid Id { get; set; }
    /// <summary>Null for orders that reached the queue without going through the API (tests, replays).</summary>
    public string? IdempotencyKey { get; set; }
    public required string RequestHash { get; set; }
    public required string CustomerEmail { get; set; }
    public required string CustomerName { get; set; }
    public required string Status { get; set; }
    public string? Reason { get; set; }
    public decimal Total { get; set; }
    public required string Currency { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? AppliedAt { get; set; }
    /// <summary>The sale this order was placed in, with the waiting-room ticket whose admission allowed it.</summary>
    public string? SaleId { get; set; }
    public string? AdmissionTicket { get; set; }
    /// <summary>Which of the admission's allowed orders this is (1-based); unique per ticket, so none is used twice.</summary>
    public short? AdmissionSlot { get; set; }
    /// <summary>When the stale-order sweep last published the order again (its message was lost), and how often it has.</summary>
    public DateTimeOffset? RepublishedAt { get; set; }
    public short Republishes { get; set; }
    public List<OrderLine> Lines { get; set; } = [];
}

/// <summary>One product of an order, with its name, SKU and price as they were when it was bought.</summary>
public sealed class OrderLine
{
    public Guid OrderId { get; set; }
    public int ProductId { get; set; }
    /// <summary>A snapshot: renaming the product later does not rewrite what this order says was sold.</summary>
    public required string ProductName { get; set; }
    public required string ProductSku { get; set; }
    public int Quantity { get; set; }
    public decimal UnitPrice { get; set; }
}

/// <summary>The worker's dedup record: a row here means the order's stock change has been committed exactly once.</summary>
public sealed class AppliedOrder
{
    public Guid OrderId { get; set; }
    public DateTimeOffset AppliedAt { get; set; }
}

public static class OrderStatus
{
    /// <summary>Written by the API, not yet confirmed by the broker; never shown to a shopper.</summary>
    public const string Pending = "Pending";
    public const string Accepted = "Accepted";
    public const string Confirmed = "Confirmed";
    public const string Rejected = "Rejected";

    public const string SoldOut = "sold_out";
    /// <summary>The admission the order carried did not verify when the worker checked it again.</summary>
    public const string AdmissionInvalid = "admission_invalid";
}
