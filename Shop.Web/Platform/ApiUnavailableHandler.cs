using Microsoft.AspNetCore.Diagnostics;
using Shop.ServiceDefaults.Logging;

namespace Shop.Web.Platform;

/// <summary>
/// When the API behind a page cannot answer (no instance reachable, none answered within <see cref="ApiOptions.Timeout"/>,
/// or the API itself said 503), the page is not broken: answer 503 with Retry-After and a sentence a shopper
/// understands, instead of a 500 error page. A slow API under a peak is waited for (<see cref="ApiInstances"/>): only
/// what is still unanswered after that wait, or a real outage, ends here.
/// </summary>
public sealed class ApiUnavailableHandler(ILogger<ApiUnavailableHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    // Shared by every request: during an outage each page fails the same way, one warning per interval says so.
    private static readonly RateLimitedWarning Unavailable = new(TimeSpan.FromSeconds(10));

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnavailable(exception) || context.Response.HasStarted)
        {
            return false;
        }
        if (Unavailable.ShouldWarn(out var suppressed))
        {
            logger.LogWarning("The API did not answer ({Reason}: {Message}); answering 503 ({Suppressed} more since the last warning)",
                exception.GetType().Name, exception.Message, suppressed);
        }
        await UnavailablePage.WriteAsync(context, RetryAfterSeconds, "The shop is very busy right now",
            "Nothing was lost: your cart and your place are kept.", context.Request.Path + context.Request.QueryString, cancellationToken);
        return true;
    }

    private static bool IsUnavailable(Exception e) => e switch
    {
        HttpRequestException => true,
        TaskCanceledException when e.InnerException is TimeoutException => true,
        _ => e.InnerException is { } inner && IsUnavailable(inner),
    };
}
