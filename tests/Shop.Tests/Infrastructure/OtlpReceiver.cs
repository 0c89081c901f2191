using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Shop.Tests.Infrastructure;

/// <summary>
/// Stands in for the dashboard: an OTLP/HTTP endpoint the test shop's services export to, keeping the spans and the
/// latest value of every metric series so tests can check what the dashboard would show.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    public sealed record Span(string Service, string TraceId, string SpanId, string ParentSpanId, string Name,
        IReadOnlyList<(string TraceId, string SpanId)> Links, IReadOnlyDictionary<string, string> Attributes);

    /// <summary>The latest point of one series; a histogram's value is its count.</summary>
    public sealed record Point(string Service, string Instance, string Meter, string Metric, IReadOnlyDictionary<string, string> Attributes, double Value);

    private const int MaxSpans = 200_000;

    private readonly WebApplication app;
    private readonly ConcurrentQueue<Span> spans = new();
    private readonly ConcurrentDictionary<string, Point> points = new();

    private OtlpReceiver(WebApplication app) => this.app = app;

    public string Endpoint => app.Urls.Single();

    public IReadOnlyList<Span> Spans => [.. spans];

    public IReadOnlyList<Point> Points => [.. points.Values];

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpRequest request) => receiver.ReadTraces(await BodyAsync(request)));
        app.MapPost("/v1/metrics", async (HttpRequest request) => receiver.ReadMetrics(await BodyAsync(request)));
        app.MapPost("/v1/logs", () => Results.Bytes([], "application/x-protobuf"));
        await app.StartAsync();
        return receiver;
    }

    private static async Task<ReadOnlyMemory<byte>> BodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    // ExportTraceServiceRequest: resource_spans(1) → resource(1).attributes(1), scope_spans(2) → spans(2).
    private IResult ReadTraces(ReadOnlyMemory<byte> body)
    {
        foreach (var resourceSpans in Protobuf.Messages(body, 1))
        {
            var service = ServiceOf(resourceSpans).Name;
            foreach (var span in Protobuf.Messages(resourceSpans, 2).SelectMany(scope => Protobuf.Messages(scope, 2)))
            {
                var fields = Protobuf.Fields(span).ToList();
                string Hex(int number) => fields.FirstOrDefault(f => f.Number == number).Hex;
                spans.Enqueue(new Span(service, Hex(1), Hex(2), Hex(4), fields.First(f => f.Number == 5).String,
                    [.. Protobuf.Messages(span, 13).Select(link => Protobuf.Fields(link).ToList())
                        .Select(link => (link.First(f => f.Number == 1).Hex, link.First(f => f.Number == 2).Hex))],
                    Protobuf.Attributes(span, 9)));
            }
        }
        while (spans.Count > MaxSpans && spans.TryDequeue(out _))
        {
        }
        return Results.Bytes([], "application/x-protobuf");
    }

    // ExportMetricsServiceRequest: resource_metrics(1) → resource(1), scope_metrics(2) → scope(1).name(1), metrics(2).
    // Metric: name(1), gauge(5) / sum(7) / histogram(9), each with data_points(1).
    private IResult ReadMetrics(ReadOnlyMemory<byte> body)
    {
        foreach (var resourceMetrics in Protobuf.Messages(body, 1))
        {
            var (service, instance) = ServiceOf(resourceMetrics);
            foreach (var scope in Protobuf.Messages(resourceMetrics, 2))
            {
                var meter = Protobuf.Messages(scope, 1).Select(s => Protobuf.Fields(s).FirstOrDefault(f => f.Number == 1).String).FirstOrDefault() ?? "";
                foreach (var metric in Protobuf.Messages(scope, 2))
                {
                    var fields = Protobuf.Fields(metric).ToList();
                    var name = fields.First(f => f.Number == 1).String;
                    foreach (var data in fields.Where(f => f.Number is 5 or 7 or 9))
                    {
                        foreach (var point in Protobuf.Messages(data.Bytes, 1))
                        {
                            var attributes = Protobuf.Attributes(point, data.Number == 9 ? 9 : 7);
                            var values = Protobuf.Fields(point).ToList();
                            var value = data.Number == 9
                                ? values.FirstOrDefault(f => f.Number == 4).Value
                                : values.FirstOrDefault(f => f.Number == 4) is { Number: 4 } asDouble ? asDouble.Double : (long)values.FirstOrDefault(f => f.Number == 6).Value;
                            var key = $"{service}|{instance}|{name}|{string.Join(",", attributes.OrderBy(a => a.Key).Select(a => $"{a.Key}={a.Value}"))}";
                            points[key] = new Point(service, instance, meter, name, attributes, value);
                        }
                    }
                }
            }
        }
        return Results.Bytes([], "application/x-protobuf");
    }

    private static (string Name, string Instance) ServiceOf(ReadOnlyMemory<byte> resourceTelemetry)
    {
        var resource = Protobuf.Messages(resourceTelemetry, 1).Select(r => Protobuf.Attributes(r, 1)).FirstOrDefault() ?? [];
        return (resource.GetValueOrDefault("service.name", ""), resource.GetValueOrDefault("service.instance.id", ""));
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
