using Shop.ServiceDefaults.Endpoints;

namespace Shop.Web.Platform;

/// <summary>
/// When the API behind a page cannot answer (no instance reachable, none answered within <see cref="ApiOptions.Timeout"/>,
/// or the API itself said 503), the page is not broken: answer 503 with Retry-After and a sentence a shopper
/// understands, instead of a 500 error page. A slow API under a peak is waited for (<see cref="ApiInstances"/>): only
/// what is still unanswered after that wait, or a real outage, ends here.
/// </summary>
public sealed class ApiUnavailableHandler(ILogger<ApiUnavailableHandler> logger) : DependencyUnavailableHandler(logger)
{
    public const int RetryAfterSeconds = 5;

    protected override bool IsUnavailable(Exception exception) =>
        exception is HttpRequestException || exception is TaskCanceledException { InnerException: TimeoutException };

    protected override void Warn(ILogger logger, Exception exception, long suppressed) =>
        logger.LogWarning("The API did not answer ({Reason}: {Message}); answering 503 ({Suppressed} more since the last warning)",
            exception.GetType().Name, exception.Message, suppressed);

    protected override async ValueTask<bool> AnswerAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        await UnavailablePage.WriteAsync(context, RetryAfterSeconds, "The shop is very busy right now",
            "Nothing was lost: your cart and your place are kept.", context.Request.Path + context.Request.QueryString, cancellationToken);
        return true;
    }
}
