using Microsoft.AspNetCore.Diagnostics;
using Npgsql;
using Shop.ServiceDefaults.Logging;

namespace Shop.Api.Platform;

/// <summary>
/// The primary being away (restart, failover) is the server's passing trouble, not a bug: answer 503 with
/// Retry-After so clients (and the edge) know to come back, instead of a 500.
/// </summary>
public sealed class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    // Shared by every request: while the database is away each request fails the same way, one warning per interval says so.
    private static readonly RateLimitedWarning Unavailable = new(TimeSpan.FromSeconds(10));

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnavailable(exception))
        {
            return false;
        }
        if (Unavailable.ShouldWarn(out var suppressed))
        {
            logger.LogWarning(exception, "The database is unavailable; answering 503 ({Suppressed} more since the last warning)", suppressed);
        }
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
        return await problems.TryWriteAsync(new()
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Temporarily unavailable",
                Detail = $"The shop's database cannot be reached right now. Nothing was changed; try again in {RetryAfterSeconds} seconds.",
            },
        });
    }

    private static bool IsUnavailable(Exception e) => e switch
    {
        NpgsqlException { IsTransient: true } => true,
        _ => e.InnerException is { } inner && IsUnavailable(inner),
    };
}
