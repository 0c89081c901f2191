using System.Security.Cryptography;

namespace Shop.Tests.Infrastructure;

/// <summary>
/// One booted test shop on its own ports and data folder, so tests never collide with a developer's <c>./shop run</c>
/// on the same machine. <paramref name="configuration"/> adds AppHost settings (<c>Key=Value</c>) for a shop laid out
/// differently from the default.
/// </summary>
public sealed class TestShop(string dataDirectory, int portOffset, params string[] configuration)
    : BootedShop(Path.Combine(RepositoryRoot, dataDirectory), ShopPortLayout.ForTests(portOffset + PortShift),
        [
            // Low enough that a test can pile up a backlog of orders in seconds (the waiting room then slows down).
            "Shop:WaitingRoom:BacklogThreshold=200",
            .. configuration,
        ])
{
    /// <summary>
    /// <c>SHOP_TEST_PORT_SHIFT</c> moves every test shop's ports by that much, so two checkouts can run their tests on
    /// one machine at the same time (each has its own data folder already).
    /// </summary>
    private static int PortShift => int.TryParse(Environment.GetEnvironmentVariable("SHOP_TEST_PORT_SHIFT"), out var shift) ? shift : 0;

    /// <summary>How far this shop's ports are moved from the test layout (its own offset plus the checkout's shift).</summary>
    public int PortOffset { get; } = portOffset + PortShift;

    /// <summary>What the dashboard would receive: every .NET service exports its traces and metrics here.</summary>
    public OtlpReceiver Telemetry { get; private set; } = null!;

    /// <summary>Orders:Sweep:StaleAfter of every test shop's API instances.</summary>
    public static readonly TimeSpan SweepStaleAfter = TimeSpan.FromDays(1);

    /// <summary>Exempt from the API's order limit in every test shop; neither Browserlike nor the load test's crowd uses it.</summary>
    public const string RateLimitExemptNetwork = "127.255.0.0/16";

    public static IReadOnlyList<string> LongRunningResources { get; } =
        ["postgres", "postgres-replica", "redis", "cache", "rabbitmq", "blobs", .. ApiInstances, "web", .. OrderWorkers, "reporting", "edge"];

    public bool PgBouncer { get; } = configuration.Contains("Shop:Database:PgBouncer=true", StringComparer.OrdinalIgnoreCase);

    /// <summary>This shop's long-running resources: the default ones, and PgBouncer when it is on.</summary>
    public IReadOnlyList<string> Resources => PgBouncer ? [.. LongRunningResources, "pgbouncer"] : LongRunningResources;

    public async Task StartAsync()
    {
        Telemetry = await OtlpReceiver.StartAsync();
        await BootAsync(builder =>
        {
            foreach (var project in builder.Resources.OfType<ProjectResource>())
            {
                // Added after the orchestrator's own OTLP settings, so these win; service name and instance stay its own.
                project.Annotations.Add(new EnvironmentCallbackAnnotation(environment =>
                {
                    environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = Telemetry.Endpoint;
                    environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                    environment["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
                    environment["OTEL_BSP_SCHEDULE_DELAY"] = "1000";
                    // GET /_endpoints: the hardening tests enumerate every endpoint from it; off outside tests.
                    environment["Shop__Diagnostics__EndpointInventory"] = "true";
                    // The stale-order sweep looks every second but only at orders older than a day: the orders other tests
                    // leave unapplied (answered 503 while the broker was stopped) are not published in the middle of the tests
                    // that count publishes. OrderSweepTests makes its order that old instead of waiting.
                    environment["Orders__Sweep__Interval"] = "00:00:01";
                    environment["Orders__Sweep__StaleAfter"] = SweepStaleAfter.ToString("c");
                    // A network whose order requests the API does not count, besides the storefront's 127.0.0.1 (index 0).
                    environment["Orders__RateLimitExempt__1"] = RateLimitExemptNetwork;
                }));
            }
        });
    }

    /// <summary>
    /// The edge's https entrance (admin calls go there), trusting exactly the edge's own self-signed certificate as
    /// the AppHost wrote it into the data folder, and nothing else.
    /// </summary>
    public HttpClient EdgeHttpsClient()
    {
        var pem = File.ReadAllText(Path.Combine(DataDirectory, "edge", "tls", "edge.crt"));
        var fields = PemEncoding.Find(pem);
        var expected = Convert.FromBase64String(pem[fields.Base64Data]);
        return new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) =>
                presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(expected) },
        })
        { BaseAddress = new Uri($"https://localhost:{Ports.EdgeHttps}") };
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Telemetry is not null)
        {
            await Telemetry.DisposeAsync();
        }
    }
}
