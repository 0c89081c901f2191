using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Shop.Tests.Infrastructure;
using Shop.Tests.Orders;

namespace Shop.Tests.Monitoring;

/// <summary>
/// What the dashboard shows, checked on what the services really export: the test shop sends its telemetry to an
/// OTLP receiver in the test process instead of the dashboard.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class TelemetryTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;
    private readonly OrderTraffic traffic = new(fixture.Shop);

    [Fact]
    public async Task One_order_is_one_trace_from_the_request_through_the_queue_to_the_workers_transaction()
    {
        await traffic.SetStockAsync([4611], 50);
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var callerSpanId = ActivitySpanId.CreateRandom().ToHexString();
        using var edge = shop.EdgeClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders")
        {
            Content = JsonContent.Create(new OrderRequest(Guid.NewGuid().ToString("N"), "trace@example.com", [new(4611, 1)]).Body),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        request.Headers.Add("traceparent", $"00-{traceId}-{callerSpanId}-01");

        using var response = await edge.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var orderId = (await response.Content.ReadFromJsonAsync<OrderAcceptedDto>())!.OrderId.ToString();

        OtlpReceiver.Span? applied = null;
        await UntilAsync(() => (applied = shop.Telemetry.Spans.FirstOrDefault(s => s.TraceId == traceId && s.Name == "order apply")) is not null,
            "the worker's span for the order, in the request's trace", () => Describe(shop.Telemetry.Spans.Where(s => s.TraceId == traceId)));

        // The worker's span hangs, hop by hop, under the request the caller started: delivery → publish → POST.
        // Each service exports on its own schedule, so the API's spans may arrive after the worker's.
        var path = new List<OtlpReceiver.Span>();
        await UntilAsync(() =>
            {
                var trace = shop.Telemetry.Spans.Where(s => s.TraceId == traceId).ToList();
                path = [];
                for (var span = applied; span is not null; span = trace.FirstOrDefault(s => s.SpanId == span.ParentSpanId))
                {
                    path.Add(span);
                }
                return path[^1].ParentSpanId == callerSpanId;
            },
            "the chain from the worker's span up to the caller's span", () => Describe(path));
        Assert.StartsWith("orderworker-", applied!.Service);
        Assert.Equal(orderId, applied.Attributes["shop.order.id"]);
        Assert.Equal("Confirmed", applied.Attributes["shop.order.status"]);
        Assert.Equal(["order apply", "deliver orders", "publish orders"], path.Take(3).Select(s => s.Name));
        Assert.Equal(applied.Service, path[1].Service);
        Assert.StartsWith("api-", path[2].Service);
        Assert.Contains(path.Skip(3), s => s.Service == path[2].Service && s.Name.StartsWith("POST", StringComparison.Ordinal));

        // …and links to the transaction that applied it, whose database calls nest under it.
        var link = Assert.Single(applied.Links);
        OtlpReceiver.Span? transaction = null;
        await UntilAsync(() => (transaction = shop.Telemetry.Spans.FirstOrDefault(s => s.SpanId == link.SpanId)) is not null
                && shop.Telemetry.Spans.Any(s => s.ParentSpanId == link.SpanId),
            "the transaction span and its database calls", () => Describe(shop.Telemetry.Spans.Where(s => s.TraceId == link.TraceId)));
        Assert.Equal("orders transaction", transaction!.Name);
        Assert.Equal(applied.Service, transaction.Service);
        Assert.Contains(transaction.Links, l => l.TraceId == traceId);
    }

    [Fact]
    public async Task Every_bottleneck_metric_reaches_the_dashboard_per_instance()
    {
        await traffic.SetStockAsync([4612], 50);
        using var edge = shop.EdgeClient();
        var item = Random.Shared.Next(1, 4000);
        for (var i = 0; i < 12; i++)
        {
            // A distinct URI each time: the edge answers a repeat of the same one itself for a second.
            (await edge.GetAsync($"/api/catalog/items/{item}?visit={i}")).EnsureSuccessStatusCode();
        }
        var order = await OrderTraffic.SendAsync(edge, new OrderRequest(Guid.NewGuid().ToString("N"), "metrics@example.com", [new(4612, 1)]));
        Assert.Equal(HttpStatusCode.Accepted, order.Status);

        bool Has(string metric, Func<OtlpReceiver.Point, bool>? where = null) =>
            shop.Telemetry.Points.Any(p => p.Metric == metric && (where?.Invoke(p) ?? true));
        bool From(string service, OtlpReceiver.Point p) => p.Service.StartsWith(service, StringComparison.Ordinal);

        await UntilAsync(() =>
                shop.Telemetry.Points.Where(p => p.Metric == "shop.api.requests" && p.Attributes.GetValueOrDefault("endpoint.group") == "catalog"
                    && p.Attributes.GetValueOrDefault("status.class") == "2xx").Select(p => (p.Service, p.Instance)).Distinct().Count() == 3
                && Has("http.server.request.duration", p => From("api-", p))
                && Has("shop.orders.intake", p => p.Attributes.GetValueOrDefault("outcome") == "accepted" && p.Value >= 1)
                && Has("shop.orders.applied", p => From("orderworker-", p))
                && Has("shop.orders.apply_lag", p => From("orderworker-", p) && p.Value >= 1)
                && Has("shop.orders.queue_depth", p => From("api-", p))
                && Has("shop.orders.consumer_lag", p => From("api-", p))
                && Has("shop.catalog.cache.lookups", p => p.Attributes.GetValueOrDefault("result") == "hit")
                && Has("shop.catalog.cache.lookups", p => p.Attributes.GetValueOrDefault("result") == "miss")
                && Has("shop.replica.lag", p => From("reporting", p))
                && Has("db.client.connection.count", p => From("api-", p) && p.Meter == "Npgsql")
                && Has("db.client.connection.count", p => From("orderworker-", p) && p.Meter == "Npgsql")
                && Has("db.client.connection.max", p => From("orderworker-", p)),
            "every monitoring metric",
            () => string.Join(Environment.NewLine, shop.Telemetry.Points.Select(p => $"{p.Service} {p.Meter} {p.Metric} {string.Join(",", p.Attributes)} = {p.Value}")
                .Where(line => !line.Contains("dotnet.", StringComparison.Ordinal)).Order()));
    }

    private static string Describe(IEnumerable<OtlpReceiver.Span> spans) => Environment.NewLine + string.Join(Environment.NewLine,
        spans.Select(s => $"{s.Service} '{s.Name}' {s.SpanId} parent {s.ParentSpanId} links [{string.Join(", ", s.Links.Select(l => l.SpanId))}]"));

    private static async Task UntilAsync(Func<bool> condition, string what, Func<string> seen)
    {
        try
        {
            await Poll.UntilAsync(condition, what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Seen: {seen()}", e);
        }
    }
}
