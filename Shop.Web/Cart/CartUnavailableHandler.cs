using Shop.ServiceDefaults.Redis;
using Microsoft.AspNetCore.Diagnostics;
using Shop.ServiceDefaults.Logging;
using Shop.Web.Platform;
using StackExchange.Redis;

namespace Shop.Web.Cart;

/// <summary>
/// Carts live in Redis. When Redis is down or too slow at a peak, the cart pages and the cart's form posts answer 503
/// with Retry-After and say what happened, instead of a 500; the multiplexer reconnects by itself once Redis is back.
/// </summary>
public sealed class CartUnavailableHandler(ILogger<CartUnavailableHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    // Shared by every request: while Redis is away each cart page fails the same way, one warning per interval says so.
    private static readonly RateLimitedWarning Unavailable = new(TimeSpan.FromSeconds(10));

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsCartStoreFailure(exception) || context.Response.HasStarted)
        {
            return false;
        }
        if (Unavailable.ShouldWarn(out var suppressed))
        {
            logger.LogWarning("The cart store (Redis) did not answer ({Reason}); answering 503 ({Suppressed} more since the last warning)",
                exception.GetType().Name, suppressed);
        }
        var changed = HttpMethods.IsPost(context.Request.Method);
        await UnavailablePage.WriteAsync(context, RetryAfterSeconds, "Your cart cannot be reached right now",
            changed ? "Your cart was not changed; please try again in a moment." : "Your cart is kept; it will be back in a moment.",
            changed ? "/cart" : context.Request.Path + context.Request.QueryString, cancellationToken);
        return true;
    }

    private static bool IsCartStoreFailure(Exception e) =>
        RedisFailure.Is(e) || e.InnerException is { } inner && IsCartStoreFailure(inner);
}
