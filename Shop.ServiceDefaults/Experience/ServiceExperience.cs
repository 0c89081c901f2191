using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Shop.ServiceDefaults.Experience;

/// <summary>
/// How a service measures what its shoppers get: each instance keeps a <see cref="RequestWindow"/> of the requests
/// its caller says count and posts it to the <see cref="ExperienceBoard"/> every couple of seconds. The waiting
/// room's admission loop reads the board and slows admission when latency or 5xx climb.
/// </summary>
public static class ServiceExperience
{
    /// <summary>Needs an <see cref="StackExchange.Redis.IConnectionMultiplexer"/> (the service's Aspire Redis client).</summary>
    public static IHostApplicationBuilder AddServiceExperience(this IHostApplicationBuilder builder, string service)
    {
        builder.Services.AddSingleton(sp => new RequestWindow(sp.GetService<TimeProvider>() ?? TimeProvider.System));
        builder.Services.AddSingleton(sp => new ExperienceBoard(
            sp.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>(), sp.GetService<TimeProvider>() ?? TimeProvider.System));
        builder.Services.AddHostedService(sp => new ExperiencePublisher(service, sp.GetRequiredService<RequestWindow>(),
            sp.GetRequiredService<ExperienceBoard>(), sp.GetRequiredService<IOptions<ServiceIdentityOptions>>(),
            sp.GetRequiredService<ILogger<ExperiencePublisher>>()));
        return builder;
    }

    /// <summary>
    /// Times every request <paramref name="counts"/> accepts, from here inwards. A 5xx, or an exception that becomes
    /// one further out, is an error; a request the client gave up on or sent malformed is not the server's failure.
    /// </summary>
    public static IApplicationBuilder UseServiceExperience(this IApplicationBuilder app, Func<HttpRequest, bool> counts)
    {
        var window = app.ApplicationServices.GetRequiredService<RequestWindow>();
        return app.Use(async (context, next) =>
        {
            if (!counts(context.Request))
            {
                await next(context);
                return;
            }
            var started = Stopwatch.GetTimestamp();
            var serverError = true;
            try
            {
                await next(context);
                serverError = context.Response.StatusCode >= StatusCodes.Status500InternalServerError;
            }
            catch (Exception e) when (e is BadHttpRequestException || context.RequestAborted.IsCancellationRequested)
            {
                serverError = false;
                throw;
            }
            finally
            {
                window.Record(Stopwatch.GetElapsedTime(started), serverError);
            }
        });
    }

    /// <summary>The orchestrator's and the edge's probes: asked every few seconds whatever the load, never a shopper.</summary>
    public static bool IsProbe(PathString path) =>
        path.StartsWithSegments(Microsoft.Extensions.Hosting.Extensions.HealthEndpointPath)
        || path.StartsWithSegments(Microsoft.Extensions.Hosting.Extensions.AlivenessEndpointPath);
}

/// <summary>Posts this instance's window every <see cref="ExperienceBoard.PublishInterval"/>; a missed post only ages it out.</summary>
internal sealed class ExperiencePublisher(
    string service, RequestWindow window, ExperienceBoard board, IOptions<ServiceIdentityOptions> identity, ILogger<ExperiencePublisher> logger)
    : BackgroundService
{
    // Name, host and process: two processes of one instance name (a restart overlapping its predecessor) stay apart, and
    // so do the pods of one Deployment, which share their configuration and all run as process 1 of their own container.
    private readonly string instance = $"{identity.Value.InstanceName}:{Environment.MachineName}:{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ExperienceBoard.PublishInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await board.PublishAsync(service, instance, window.Read());
            }
            // Redis away or slow: the post is skipped, and the instance drops off the board until Redis answers again.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogDebug(e, "Could not post this instance's request window");
            }
        }
    }
}
