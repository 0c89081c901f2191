using System.Net;
using Microsoft.AspNetCore.Diagnostics;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;

namespace Shop.Web.Platform;

/// <summary>
/// When the API behind a page cannot answer in time (overloaded at a peak, an instance restarting), the page is
/// not broken: answer 503 with Retry-After and a sentence a shopper understands, instead of a 500 error page.
/// </summary>
public sealed class ApiUnavailableHandler(ILogger<ApiUnavailableHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnavailable(exception) || context.Response.HasStarted)
        {
            return false;
        }
        logger.LogWarning("The API did not answer ({Reason}); answering 503", exception.GetType().Name);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync($"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{RetryAfterSeconds}"><title>Busy — Shop</title></head>
            <body><h1>The shop is very busy right now</h1>
            <p>Nothing was lost: your cart and your place are kept. This page tries again by itself in {RetryAfterSeconds} seconds.</p>
            <p><a href="{WebUtility.HtmlEncode(context.Request.Path + context.Request.QueryString)}">Try again now</a></p></body></html>
            """, cancellationToken);
        return true;
    }

    private static bool IsUnavailable(Exception e) => e switch
    {
        BrokenCircuitException or TimeoutRejectedException or RateLimiterRejectedException or HttpRequestException => true,
        TaskCanceledException when e.InnerException is TimeoutException => true,
        _ => e.InnerException is { } inner && IsUnavailable(inner),
    };
}
