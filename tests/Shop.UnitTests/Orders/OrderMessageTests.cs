using System.Text;
using System.Text.Json.Nodes;
using Shop.Messaging;

namespace Shop.UnitTests.Orders;

/// <summary>What the worker accepts off the queue: a well-formed order, or a reason to dead-letter it.</summary>
public sealed class OrderMessageTests
{
    private static OrderMessage Order(string? saleId = null, string? admission = null) => new(
        Guid.NewGuid(), "key-1", "hash", new OrderCustomer("ann@example.com", "Ann"),
        [new OrderMessageLine(1, 2, 9.99m), new OrderMessageLine(2, 1, 5m)], 24.98m, "EUR", DateTimeOffset.UnixEpoch, saleId, admission);

    private static OrderMessage? Parse(byte[] body, out string? problem) => OrderMessage.TryParse(body, out problem);

    /// <summary>The order as JSON, changed by <paramref name="change"/>, as a message body.</summary>
    private static byte[] Changed(Action<JsonObject> change)
    {
        var json = JsonNode.Parse(Order().ToBytes())!.AsObject();
        change(json);
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    [Fact]
    public void An_order_reads_back_as_it_was_written()
    {
        var order = Order("sale-1", "a1.x.y");

        var read = Parse(order.ToBytes(), out var problem);

        Assert.Null(problem);
        Assert.Equal(order with { Lines = read!.Lines }, read);
        Assert.Equal(order.Lines, read.Lines);
    }

    [Theory]
    [InlineData("not json", "not an order message")]
    [InlineData("null", "empty message")]
    [InlineData("{\"orderId\":\"00000000-0000-0000-0000-000000000000\"}", "orderId is missing")]
    public void A_body_that_is_no_order_names_why(string body, string expected)
    {
        Assert.Null(Parse(Encoding.UTF8.GetBytes(body), out var problem));
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void A_field_the_message_does_not_know_is_refused() =>
        Assert.Null(Parse(Changed(json => json["surprise"] = 1), out _));

    [Theory]
    [InlineData("quantity", 0)]
    [InlineData("quantity", OrderMessage.MaxQuantity + 1)]
    [InlineData("productId", 0)]
    [InlineData("unitPrice", 0)]
    public void A_line_out_of_bounds_is_refused(string field, int value)
    {
        Assert.Null(Parse(Changed(json => json["lines"]![0]![field] = value), out var problem));
        Assert.Contains("every line needs", problem);
    }

    [Fact]
    public void The_same_product_on_two_lines_is_refused()
    {
        Assert.Null(Parse(Changed(json => json["lines"]![1]!["productId"] = 1), out var problem));
        Assert.Equal("a product appears twice", problem);
    }

    [Fact]
    public void An_order_without_lines_or_with_too_many_is_refused()
    {
        Assert.Null(Parse(Changed(json => json["lines"] = new JsonArray()), out _));
        Assert.Null(Parse(Changed(json => json["lines"] = new JsonArray([.. Enumerable.Range(1, OrderMessage.MaxLines + 1)
            .Select(id => (JsonNode)new JsonObject { ["productId"] = id, ["quantity"] = 1, ["unitPrice"] = 1 })])), out var problem));
        Assert.Contains($"1 to {OrderMessage.MaxLines} lines", problem);
    }

    [Theory]
    [InlineData("sale-1", null)]
    [InlineData(null, "a1.x.y")]
    public void A_sale_order_needs_both_its_sale_and_its_admission(string? saleId, string? admission)
    {
        Assert.Null(Parse(Order(saleId, admission).ToBytes(), out var problem));
        Assert.Equal("a sale order needs both its sale id and its admission", problem);
    }

    [Theory]
    [InlineData("")]
    [InlineData("EURO")]
    public void A_currency_that_is_not_three_letters_is_refused(string currency)
    {
        Assert.Null(Parse((Order() with { Currency = currency }).ToBytes(), out var problem));
        Assert.Equal("currency is missing", problem);
    }
}
