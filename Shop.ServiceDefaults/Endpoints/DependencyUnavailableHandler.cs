using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Shop.ServiceDefaults.Logging;

namespace Shop.ServiceDefaults.Endpoints;

/// <summary>
/// A dependency away for a moment (the database, Redis, the API) is the server's passing trouble, not a bug: when the
/// failure, or one it wraps, is of <see cref="IsUnavailable"/>'s kind, the request is answered 503 with Retry-After
/// instead of a 500. While it lasts every request fails the same way, so one warning per 10 s says so.
/// </summary>
public abstract class DependencyUnavailableHandler(ILogger logger) : IExceptionHandler
{
    private readonly RateLimitedWarning warning = new(TimeSpan.FromSeconds(10));

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!InChain(exception) || context.Response.HasStarted)
        {
            return false;
        }
        if (warning.ShouldWarn(out var suppressed))
        {
            Warn(logger, exception, suppressed);
        }
        return await AnswerAsync(context, exception, cancellationToken);
    }

    /// <summary>Whether this one exception (not its inner ones: those are asked too) means the dependency is away.</summary>
    protected abstract bool IsUnavailable(Exception exception);

    /// <summary>The warning, with how many failures were held back since the last one.</summary>
    protected abstract void Warn(ILogger logger, Exception exception, long suppressed);

    /// <summary>The 503 (see <see cref="ServiceUnavailable"/>); true when it was written.</summary>
    protected abstract ValueTask<bool> AnswerAsync(HttpContext context, Exception exception, CancellationToken cancellationToken);

    private bool InChain(Exception exception) => IsUnavailable(exception) || exception.InnerException is { } inner && InChain(inner);
}
