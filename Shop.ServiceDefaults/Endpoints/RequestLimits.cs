using System.ComponentModel.DataAnnotations;
using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Shop.ServiceDefaults.Endpoints;

/// <summary>How slowly a client may send a request body (<c>Shop:Limits</c>); the sizes are fixed, see <see cref="RequestLimits"/>.</summary>
public sealed class RequestLimitOptions
{
    public const string SectionName = "Shop:Limits";

    /// <summary>A body that arrives slower than this, once the grace period is over, is cut off with a 408 (Kestrel's default rate, stated).</summary>
    [Range(1, 1_000_000)]
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    [Range(1, 300)]
    public int MinRequestBodyGraceSeconds { get; set; } = 5;
}

/// <summary>
/// What a client may send every service, and how the server's refusals reach it: Kestrel refuses a body over the limit
/// (413) or one that trickles in (408) by throwing <see cref="BadHttpRequestException"/> from whatever reads it (a
/// handler, form binding, antiforgery), and that is the client's status with a problem saying why, never a 500.
/// </summary>
public static class RequestLimits
{
    /// <summary>The largest request body any service accepts; the edge's <c>client_max_body_size</c> is the same.</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    public static void AddRequestLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RequestLimitOptions>().BindConfiguration(RequestLimitOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<RequestLimitOptions>>((kestrel, limits) => ConfigureKestrel(kestrel, limits.Value));
        // Wherever the refusal surfaces, also in a handler that reads the body itself. It is the client's error, not logged
        // as the server's (a flood of them would be a flood of error logs); what IExceptionHandlers handle stays unlogged too.
        builder.Services.Configure<ExceptionHandlerOptions>(options =>
        {
            options.StatusCodeSelector = exception =>
                exception is BadHttpRequestException refused ? refused.StatusCode : StatusCodes.Status500InternalServerError;
            options.SuppressDiagnosticsCallback = context =>
                context.Exception is BadHttpRequestException || context.ExceptionHandledBy == Microsoft.AspNetCore.Diagnostics.ExceptionHandledType.ExceptionHandlerService;
        });
        builder.Services.AddOptions<ProblemDetailsOptions>().Configure<IOptions<RequestLimitOptions>>((problems, limits) =>
        {
            var customize = problems.CustomizeProblemDetails;
            problems.CustomizeProblemDetails = context =>
            {
                customize?.Invoke(context);
                context.ProblemDetails.Detail ??= RefusalDetail(context.Exception, limits.Value);
            };
        });
    }

    /// <summary>
    /// <c>UseAntiforgery</c>, with a body the server refused to read while antiforgery looked for its token (over the
    /// limit, too slow) answered as that refusal, 413 or 408: antiforgery wraps every failed read as a missing token (400).
    /// </summary>
    public static IApplicationBuilder UseAntiforgeryWithRequestLimits(this IApplicationBuilder app) =>
        app.UseAntiforgery().Use((context, next) =>
        {
            if (context.Features.Get<IAntiforgeryValidationFeature>() is { IsValid: false, Error.InnerException: BadHttpRequestException refused })
            {
                ExceptionDispatchInfo.Throw(refused);
            }
            return next(context);
        });

    /// <summary>
    /// Stated rather than left to Kestrel's defaults. No endpoint takes more than a small form or JSON body (an order
    /// of 20 lines is a few kB), so 1 MB, not 30, bounds what a client can make a service buffer. Idle connections live
    /// longer than the edge's upstream keepalive_timeout (60 s), so it is always the edge that closes one and never
    /// sends a request on a connection the service is closing. No Server header: the stack is nobody's business.
    /// </summary>
    public static void ConfigureKestrel(KestrelServerOptions kestrel, RequestLimitOptions limits)
    {
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
        kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        kestrel.Limits.MaxRequestLineSize = 8 * 1024;
        kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(120);
        kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
        kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(limits.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(limits.MinRequestBodyGraceSeconds));
    }

    /// <summary>What a person is told when the server refused to read their request's body.</summary>
    private static string? RefusalDetail(Exception? exception, RequestLimitOptions limits) => (exception as BadHttpRequestException)?.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => $"The request body is larger than the {MaxRequestBodyBytes / 1024 / 1024} MB this service accepts.",
        StatusCodes.Status408RequestTimeout =>
            $"The request body arrived too slowly (under {limits.MinRequestBodyBytesPerSecond:0.#} bytes a second after the first {limits.MinRequestBodyGraceSeconds} seconds). Send it again in one go.",
        _ => null,
    };
}
