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
        await UnavailablePage.WriteAsync(context, RetryAfterSeconds, "The shop is very busy right now",
            "Nothing was lost: your cart and your place are kept.", context.Request.Path + context.Request.QueryString, cancellationToken);
        return true;
    }

    private static bool IsUnavailable(Exception e) => e switch
    {
        BrokenCircuitException or TimeoutRejectedException or RateLimiterRejectedException or HttpRequestException => true,
        TaskCanceledException when e.InnerException is TimeoutException => true,
        _ => e.InnerException is { } inner && IsUnavailable(inner),
    };
}
