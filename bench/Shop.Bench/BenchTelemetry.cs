using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Shop.Bench;

/// <summary>
/// The benchmarked shop's telemetry, configured as a production shop would run it rather than as the dashboard wants it
/// during development (every request traced, exports every second): 1 % of traces sampled at the root (a sampled
/// caller's trace is always followed), metrics exported every 60 s and spans in 5 s batches — the OpenTelemetry SDK's
/// own defaults. Everything goes to a collector of the bench's own (<see cref="StartAsync"/>), never to a port the
/// bench does not own, such as the dashboard's default OTLP port that Aspire hands its resources otherwise.
/// </summary>
public sealed class BenchTelemetry : IAsyncDisposable
{
    public const double TraceSampleRatio = 0.01;

    private readonly WebApplication collector;
    private long exports;
    private long bytes;

    private BenchTelemetry(WebApplication collector) => this.collector = collector;

    /// <summary>The collector's OTLP/HTTP base address.</summary>
    public string Endpoint => collector.Urls.Single();

    /// <summary>What the shop exported during the run: requests and body bytes, for the report.</summary>
    public string Summary => $"{Interlocked.Read(ref exports):N0} OTLP exports, {Interlocked.Read(ref bytes) / 1024.0 / 1024.0:N1} MiB";

    public static string Settings =>
        $"traces sampled parent-based at {TraceSampleRatio:P0} of roots, metrics every 60 s, spans batched every 5 s, to the bench's own OTLP collector";

    /// <summary>
    /// A collector that takes every OTLP/HTTP export and keeps only its size: the shop pays for producing and sending
    /// its telemetry, as it would in production, and the bench pays nearly nothing for receiving it.
    /// </summary>
    public static async Task<BenchTelemetry> StartAsync(CancellationToken token)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var telemetry = new BenchTelemetry(app);
        app.MapPost("/v1/{signal}", async (HttpRequest request) =>
        {
            var buffer = new byte[16 * 1024];
            long size = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer)) > 0)
            {
                size += read;
            }
            Interlocked.Increment(ref telemetry.exports);
            Interlocked.Add(ref telemetry.bytes, size);
            return Results.Ok();
        });
        await app.StartAsync(token);
        return telemetry;
    }

    /// <summary>Points every service of the shop at this collector with production-like sampling and export intervals.</summary>
    public void Configure(IDistributedApplicationTestingBuilder builder)
    {
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            // Added after the orchestrator's own OTLP settings, so these win.
            project.Annotations.Add(new EnvironmentCallbackAnnotation(environment =>
            {
                environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint;
                environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                environment["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio";
                environment["OTEL_TRACES_SAMPLER_ARG"] = TraceSampleRatio.ToString(System.Globalization.CultureInfo.InvariantCulture);
                environment["OTEL_METRIC_EXPORT_INTERVAL"] = "60000";
                environment["OTEL_BSP_SCHEDULE_DELAY"] = "5000";
                environment["OTEL_BLRP_SCHEDULE_DELAY"] = "5000";
            }));
        }
    }

    public ValueTask DisposeAsync() => collector.DisposeAsync();
}
