using Shop.ServiceDefaults.Endpoints;
using Shop.ServiceDefaults.Redis;
using Shop.Web.Platform;

namespace Shop.Web.Cart;

/// <summary>
/// Carts live in Redis. When Redis is down or too slow at a peak, the cart pages and the cart's form posts answer 503
/// with Retry-After and say what happened, instead of a 500; the multiplexer reconnects by itself once Redis is back.
/// </summary>
public sealed class CartUnavailableHandler(ILogger<CartUnavailableHandler> logger) : DependencyUnavailableHandler(logger)
{
    public const int RetryAfterSeconds = 5;

    protected override bool IsUnavailable(Exception exception) => RedisFailure.Is(exception);

    protected override void Warn(ILogger logger, Exception exception, long suppressed) =>
        logger.LogWarning("The cart store (Redis) did not answer ({Reason}); answering 503 ({Suppressed} more since the last warning)",
            exception.GetType().Name, suppressed);

    protected override async ValueTask<bool> AnswerAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var changed = HttpMethods.IsPost(context.Request.Method);
        await UnavailablePage.WriteAsync(context, RetryAfterSeconds, "Your cart cannot be reached right now",
            changed ? "Your cart was not changed; please try again in a moment." : "Your cart is kept; it will be back in a moment.",
            changed ? "/cart" : context.Request.Path + context.Request.QueryString, cancellationToken);
        return true;
    }
}
