using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shop.Messaging;

/// <summary>
/// An accepted order on its way to the worker. It carries everything needed to apply it (prices were fixed by the
/// API at intake), so the worker never has to ask the API anything. An order placed during a sale carries the sale
/// and the signed admission it was placed with; the worker checks that again before it takes stock.
/// </summary>
public sealed record OrderMessage(
    Guid OrderId,
    string? IdempotencyKey,
    string RequestHash,
    OrderCustomer Customer,
    IReadOnlyList<OrderMessageLine> Lines,
    decimal Total,
    string Currency,
    DateTimeOffset CreatedAt,
    string? SaleId = null,
    string? AdmissionToken = null)
{
    public const int MaxLines = 20;
    public const int MaxQuantity = 10;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Null when the bytes are not a well-formed order: such a message can never succeed and is dead-lettered.</summary>
    public static OrderMessage? TryParse(ReadOnlyMemory<byte> body, out string? problem)
    {
        OrderMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<OrderMessage>(body.Span, Json);
        }
        catch (JsonException e)
        {
            problem = $"not an order message: {e.Message}";
            return null;
        }
        problem = message is null ? "empty message" : message.Validate();
        return problem is null ? message : null;
    }

    private string? Validate()
    {
        if (OrderId == Guid.Empty) return "orderId is missing";
        if (Customer is null || string.IsNullOrWhiteSpace(Customer.Email) || Customer.Name is null) return "customer is missing";
        if (Lines is null || Lines.Count is 0 or > MaxLines) return $"an order has 1 to {MaxLines} lines";
        if (Lines.Any(l => l is null || l.ProductId < 1 || l.Quantity is < 1 or > MaxQuantity || l.UnitPrice <= 0))
            return $"every line needs a product, a quantity of 1 to {MaxQuantity} and a positive price";
        if (Lines.Select(l => l.ProductId).Distinct().Count() != Lines.Count) return "a product appears twice";
        if (string.IsNullOrEmpty(Currency) || Currency.Length != 3) return "currency is missing";
        if ((SaleId is null) != (AdmissionToken is null)) return "a sale order needs both its sale id and its admission";
        return null;
    }
}

public sealed record OrderCustomer(string Email, string Name);

public sealed record OrderMessageLine(int ProductId, int Quantity, decimal UnitPrice);
