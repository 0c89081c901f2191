using System.Net.Mail;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shop.Api.Platform;
using Shop.Api.WaitingRoom;
using Shop.Data;
using Shop.Data.Orders;
using Shop.Messaging;
using Shop.ServiceDefaults.Endpoints;
using Shop.ServiceDefaults.Security;

namespace Shop.Api.Orders;

public static class OrdersApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/api/orders").WithTags("Orders");
        orders.MapPost("/", PlaceOrder).WithName("PlaceOrder").Accepts<PlaceOrderRequest>("application/json");
        orders.MapGet("/{orderId}", GetOrder).WithName("GetOrder");
        return app;
    }

    public static async Task<Results<Accepted<OrderAccepted>, ValidationProblem, ProblemHttpResult>> PlaceOrder(
        HttpRequest request, OrderIntake intake, AdmissionGate gate, SharedRateLimiter limiter, IOptions<OrderOptions> options, OrderMetrics metrics,
        CancellationToken cancellationToken)
    {
        var answer = await LimitedAsync(request, limiter, options.Value) ?? await PlaceAsync(request, intake, gate, options, cancellationToken);
        metrics.Answered(answer.Result switch
        {
            Accepted<OrderAccepted> => "accepted",
            ProblemHttpResult { StatusCode: StatusCodes.Status429TooManyRequests } => "rate_limited",
            ValidationProblem => "invalid",
            ProblemHttpResult { StatusCode: StatusCodes.Status403Forbidden } => "admission_refused",
            ProblemHttpResult { StatusCode: StatusCodes.Status422UnprocessableEntity } => "key_reused",
            ProblemHttpResult { StatusCode: StatusCodes.Status503ServiceUnavailable } => "unavailable",
            _ => "invalid",
        });
        return answer;
    }

    /// <summary>Counted before anything is read, so a flood of bad requests costs one Redis call each and writes nothing.</summary>
    private static async Task<Results<Accepted<OrderAccepted>, ValidationProblem, ProblemHttpResult>?> LimitedAsync(
        HttpRequest request, SharedRateLimiter limiter, OrderOptions options)
    {
        var client = request.HttpContext.Connection.RemoteIpAddress ?? System.Net.IPAddress.None;
        if (options.IsExempt(client)
            || await limiter.AcquireAsync("orders", ClientAddress.Partition(client), RateLimit.PerMinute(options.RateLimitPerMinute)) is not { } wait)
        {
            return null;
        }
        SharedRateLimiter.SetRetryAfter(request.HttpContext.Response, wait);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many orders",
            detail: $"More than {options.RateLimitPerMinute} orders a minute came from your network address. Try again in {SharedRateLimiter.RetryAfterSeconds(wait)} seconds with the same {IdempotencyKeyHeader}.");
    }

    /// <remarks>The body is read by hand so that malformed JSON gets a 400 naming where it broke.</remarks>
    private static async Task<Results<Accepted<OrderAccepted>, ValidationProblem, ProblemHttpResult>> PlaceAsync(
        HttpRequest request, OrderIntake intake, AdmissionGate gate, IOptions<OrderOptions> options, CancellationToken cancellationToken)
    {
        var admission = gate.Check(request);
        if (admission is AdmissionGate.Refused refused)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Admission required", detail: refused.Detail,
                extensions: new Dictionary<string, object?> { ["reason"] = refused.Reason });
        }
        var errors = new Dictionary<string, string[]>();
        var key = request.Headers[IdempotencyKeyHeader].ToString();
        if (request.Headers[IdempotencyKeyHeader].Count != 1 || !IsValidKey(key))
        {
            errors[IdempotencyKeyHeader] = [$"Send one {IdempotencyKeyHeader} header of 1 to 64 visible ASCII characters, the same for every retry of this order."];
        }
        if (!request.HasJsonContentType())
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported content type",
                detail: "Send the order as JSON with Content-Type: application/json.");
        }

        PlaceOrderRequest? body;
        try
        {
            body = await request.ReadFromJsonAsync<PlaceOrderRequest>(cancellationToken);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            errors[field] = [$"The body is not a valid order: {field} could not be read as JSON of the expected type."];
            return Problems.Invalid(errors);
        }

        var (customer, items) = Validate(body, errors);
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        try
        {
            return await intake.PlaceAsync(key, customer!, items, admission as AdmissionGate.Admitted, cancellationToken) switch
            {
                OrderIntake.Placed placed => TypedResults.Accepted(StatusUrl(placed.OrderId),
                    new OrderAccepted(placed.OrderId, OrderStatus.Accepted, StatusUrl(placed.OrderId))),
                OrderIntake.KeyReused => TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity,
                    title: "Idempotency-Key already used for another order",
                    detail: $"This {IdempotencyKeyHeader} was already used with a different order. Use a new key for a new order."),
                OrderIntake.UnknownProducts unknown => TypedResults.ValidationProblem(
                    unknown.LineIndexes.ToDictionary(i => $"items[{i}].productId", i => new[] { $"There is no product with id {items[i].ProductId}." }),
                    detail: "Some products in the order do not exist.", title: "The request has invalid values."),
                OrderIntake.AdmissionUsed used => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Admission already used",
                    detail: $"This admission allows {used.OrdersPerAdmission} order(s) and has been used for them. Join the waiting room again for another.",
                    extensions: new Dictionary<string, object?> { ["reason"] = "used" }),
                OrderIntake.AdmissionEnded => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Admission ended",
                    detail: "This admission's session has ended (its shopper left the waiting room). Join the waiting room again to order.",
                    extensions: new Dictionary<string, object?> { ["reason"] = "ended" }),
                var other => throw new InvalidOperationException($"Unexpected intake outcome {other}"),
            };
        }
        catch (OrderNotPublishedException e)
        {
            return ServiceUnavailable.Problem(request.HttpContext.Response, options.Value.RetryAfterSeconds, "Orders cannot be taken right now",
                $"The order was not accepted because {e.Message}. Try again in {options.Value.RetryAfterSeconds} seconds with the same {IdempotencyKeyHeader}.");
        }
    }

    public static async Task<Results<Ok<OrderStatusResponse>, ProblemHttpResult, ValidationProblem>> GetOrder(
        string orderId, ShopDbContext db, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(orderId, out var id))
        {
            return Problems.Invalid(new() { [nameof(orderId)] = ["orderId must be an order id as returned when the order was placed."] });
        }
        // The primary, never the replica: a shopper who just ordered must see their order, not a lagging copy of it.
        var order = await db.Orders.AsNoTracking().Include(o => o.Lines)
            .SingleOrDefaultAsync(o => o.Id == id && o.Status != OrderStatus.Pending, cancellationToken);
        if (order is null)
        {
            return Problems.NotFound("Order not found", $"There is no order with id {id}.");
        }
        return TypedResults.Ok(new OrderStatusResponse(order.Id, order.Status, order.Reason,
            order.Lines.OrderBy(l => l.ProductId).Select(l => new OrderStatusLine(l.ProductId, l.ProductSku, l.ProductName, l.Quantity, l.UnitPrice)).ToList(),
            order.Total, order.Currency, order.CreatedAt));
    }

    private static string StatusUrl(Guid orderId) => $"/api/orders/{orderId}";

    private static bool IsValidKey(string key) => key.Length is >= 1 and <= 64 && key.All(c => c is >= '!' and <= '~');

    private static (OrderCustomer? Customer, List<(int ProductId, int Quantity)> Items) Validate(PlaceOrderRequest? body, Dictionary<string, string[]> errors)
    {
        var items = new List<(int, int)>();
        if (body is null)
        {
            errors["body"] = ["Send an order: {\"customer\":{\"email\",\"name\"},\"items\":[{\"productId\",\"quantity\"}]}."];
            return (null, items);
        }

        var email = body.Customer?.Email?.Trim();
        var name = body.Customer?.Name?.Trim();
        if (body.Customer is null)
        {
            errors["customer"] = ["customer is required, with an email and a name."];
        }
        else
        {
            if (string.IsNullOrEmpty(email))
            {
                errors["customer.email"] = ["customer.email is required."];
            }
            else if (email.Length > 254 || !PlainText.IsPlain(email) || !MailAddress.TryCreate(email, out var parsed) || parsed.Address != email)
            {
                errors["customer.email"] = ["customer.email must be an email address such as ana@example.com."];
            }
            if (string.IsNullOrEmpty(name) || name.Length > 200 || !PlainText.IsPlain(name))
            {
                errors["customer.name"] = ["customer.name is required, at most 200 characters, without control characters."];
            }
        }

        if (body.Items is not { Count: >= 1 and <= OrderMessage.MaxLines })
        {
            errors["items"] = [$"items must list 1 to {OrderMessage.MaxLines} products."];
            return (null, items);
        }
        var seen = new HashSet<int>();
        for (var i = 0; i < body.Items.Count; i++)
        {
            var item = body.Items[i];
            if (item?.ProductId is not >= 1)
            {
                errors[$"items[{i}].productId"] = ["productId must be a positive whole number."];
            }
            else if (!seen.Add(item.ProductId.Value))
            {
                errors[$"items[{i}].productId"] = [$"Product {item.ProductId} is listed twice; put the whole quantity on one line."];
            }
            if (item?.Quantity is not (>= 1 and <= OrderMessage.MaxQuantity))
            {
                errors[$"items[{i}].quantity"] = [$"quantity must be from 1 to {OrderMessage.MaxQuantity}."];
            }
            if (item is { ProductId: >= 1, Quantity: >= 1 and <= OrderMessage.MaxQuantity })
            {
                items.Add((item.ProductId.Value, item.Quantity.Value));
            }
        }
        return (errors.Count == 0 ? new OrderCustomer(email!, name!) : null, items);
    }
}
