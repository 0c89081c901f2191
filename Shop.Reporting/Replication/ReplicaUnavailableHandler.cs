using Microsoft.AspNetCore.Diagnostics;
using Shop.Reporting.Access;
using Shop.ServiceDefaults.Endpoints;
using Shop.ServiceDefaults.Logging;
using Shop.WebStyles;

namespace Shop.Reporting.Replication;

/// <summary>
/// Reports read only the replica. While it does not answer, a report page says so in plain words (and tries again by
/// itself) and anything else (a CSV export) is a 503 problem, both with Retry-After, instead of an error page; the store is not affected.
/// The same for the staff accounts on the primary, which every request's session check reads
/// (<see cref="StaffAccountsUnavailableException"/>): a 503 that keeps the session, not a sign-out or a 500.
/// </summary>
public sealed class ReplicaUnavailableHandler(IProblemDetailsService problems, ILogger<ReplicaUnavailableHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 10;
    public const string Message = "The read replica is unavailable, so reports cannot be shown right now. The shop itself is not affected.";
    public const string AccountsMessage = "The staff accounts cannot be read right now, so no session can be checked. Your session is kept; the shop itself is not affected.";

    private static readonly RateLimitedWarning Unavailable = new(TimeSpan.FromSeconds(10));

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (title, message) = exception switch
        {
            ReplicaUnavailableException => ("Read replica unavailable", Message),
            StaffAccountsUnavailableException => ("Staff accounts unavailable", AccountsMessage),
            _ => (null, null),
        };
        if (title is null || context.Response.HasStarted)
        {
            return false;
        }
        if (Unavailable.ShouldWarn(out var suppressed))
        {
            logger.LogWarning(exception.InnerException, "{Title}; answering 503 ({Suppressed} more since the last warning)", title, suppressed);
        }
        // The exception handler has already cleared the endpoint; its feature keeps the one that threw.
        if (!StaffAccess.IsPage(context.Features.Get<IExceptionHandlerFeature>()?.Endpoint))
        {
            return await ServiceUnavailable.WriteProblemAsync(problems, context, RetryAfterSeconds, title, message!, exception);
        }
        ServiceUnavailable.SetRetryAfter(context.Response, RetryAfterSeconds);
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync($"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{RetryAfterSeconds}">
            <title>{title} · Staff reports</title><link rel="stylesheet" href="/{SiteStyles.Path}" /><link rel="stylesheet" href="/app.css" /></head>
            <body><main><h1>{title}</h1>
            <p class="banner warning" role="alert" data-testid="replica-unavailable">{message}</p>
            <p>This page tries again by itself in {RetryAfterSeconds} seconds. <a href="/">Back to the reports</a></p></main></body></html>
            """, cancellationToken);
        return true;
    }
}
