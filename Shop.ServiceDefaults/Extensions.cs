using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Shop.ServiceDefaults.Endpoints;
using Shop.ServiceDefaults.Security;

namespace Microsoft.Extensions.Hosting;

/// <summary>What every Shop service gets with one call: telemetry, health, discovery, ProblemDetails.</summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Framework logs written per request (request start and finish, every EF command, every outgoing call) cost
        // more than a cached request itself under load; traces and metrics carry that detail. Inserted first, so any
        // appsettings file or environment variable still overrides them.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Warning",
                ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
                // Raw Npgsql logs every command at Information (the workers' batches: thousands a second), and Polly
                // (the services' own pipelines) every successful attempt.
                ["Logging:LogLevel:Npgsql.Command"] = "Warning",
                ["Logging:LogLevel:Polly"] = "Warning",
            },
        });
        // A service must never wait on its own console: when the reader of stdout falls behind (the orchestrator, in a
        // log storm), the default mode blocks every thread that logs, health endpoint included. Dropped console lines
        // still go out over OTLP.
        builder.Services.Configure<ConsoleLoggerOptions>(console => console.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite);
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.AddForwardedHeaders();

        builder.AddRequestLimits();
        // A burst of new connections (the edge opening more upstream connections at a sale's first minute) waits in
        // the kernel's queue until accepted; with Kestrel's 512 it overflowed while the instance paused for a moment,
        // and the edge saw a connect time out. The kernel's somaxconn caps what is asked for.
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions>(sockets => sockets.Backlog = ListenBacklog);

        builder.Services.AddOptions<ServiceIdentityOptions>()
            .Bind(builder.Configuration.GetSection(ServiceIdentityOptions.SectionName))
            .PostConfigure(o => o.InstanceName ??= builder.Environment.ApplicationName.ToLowerInvariant().Replace('.', '-'))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddProblemDetails();
        // After the framework's writer, which it only stands in for.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Http.IProblemDetailsWriter, ProblemJsonFallbackWriter>());
        builder.Services.AddServiceDiscovery();
        // Service discovery only, no standard resilience handler: its retries ask an overloaded service again (three
        // more requests for each one it could not answer) and its circuit breaker turns every call into an error once
        // a few have failed, the opposite of a queue. A caller that may try again decides so itself, as the
        // storefront's ApiInstances does for a request that never reached its instance.
        builder.Services.ConfigureHttpClientDefaults(http => http.AddServiceDiscovery());

        return builder;
    }

    /// <summary>
    /// For the services behind the edge (UseForwardedHeaders): the client's address feeds the per-address limits and the
    /// scheme makes cookies Secure over https. Only the proxies of <c>Shop:Network:TrustedProxies</c> are believed
    /// (loopback when unset); a bad entry stops the service at start.
    /// </summary>
    public static TBuilder AddForwardedHeaders<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<NetworkOptions>().BindConfiguration(NetworkOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<NetworkOptions>>((forwarded, network) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in network.Value.TrustedProxyNetworks())
            {
                forwarded.KnownIPNetworks.Add(proxy);
            }
            // Every hop from a trusted proxy is unwrapped, right to left, up to the first address that is not one: with a
            // load balancer in front of a cluster's gateway (both listed) the shopper is found, not the balancer, and an
            // address a client wrote into the header itself is never reached. The local edge sends one hop only.
            forwarded.ForwardLimit = null;
        });
        return builder;
    }

    /// <summary>Connections the kernel queues for a service's port before Kestrel accepts them.</summary>
    public const int ListenBacklog = 4096;

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("Shop.*"))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource("Shop.*")
                .AddAspNetCoreInstrumentation(o => o.Filter = context =>
                    !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                    && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"])
            .AddCheck<ShutdownHealthCheck>("shutdown");
        // A dependency check that hangs must not hang the probe. Integrations register their checks without a timeout,
        // and a timeout only asks a check to stop:
        // a check (or its factory) that blocks is left behind by BoundedHealthCheck, and the probe names it.
        builder.Services.PostConfigure<HealthCheckServiceOptions>(options =>
        {
            foreach (var registration in options.Registrations)
            {
                if (registration.Timeout == Timeout.InfiniteTimeSpan)
                {
                    registration.Timeout = TimeSpan.FromSeconds(10);
                }
                var factory = registration.Factory;
                registration.Factory = services => new BoundedHealthCheck(() => factory(services));
            }
        });
        return builder;
    }

    /// <summary>
    /// Health endpoints are mapped in every environment: the edge and the AppHost probe them in production too.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        app.MapEndpointInventory();
        return app;
    }

    /// <summary>Every error, thrown or returned without a body, leaves as <c>application/problem+json</c>.</summary>
    public static WebApplication UseDefaultProblemDetails(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}

/// <summary>Who this process is, so responses and telemetry can name the instance that served them.</summary>
public sealed class ServiceIdentityOptions
{
    public const string SectionName = "Shop:Service";

    [Required, RegularExpression("^[a-z0-9][a-z0-9-]{0,62}$", ErrorMessage = "Shop:Service:InstanceName must be a lowercase resource name such as 'api-1'.")]
    public string? InstanceName { get; set; }
}
