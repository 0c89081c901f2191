using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Shop.ServiceDefaults.Endpoints;
using Shop.ServiceDefaults.Security;
using Shop.Web.Catalog;

namespace Shop.Web.Cart;

/// <summary>
/// Plain HTML form posts (with antiforgery tokens), each answered with a redirect to the cart page, so the
/// storefront needs no interactive circuit and a reload never re-submits.
/// </summary>
public static class CartEndpoints
{
    /// <summary>The cart page's query parameter that says why a change was refused or cut short.</summary>
    public const string NoticeParameter = "notice";

    public static IEndpointRouteBuilder MapCartEndpoints(this IEndpointRouteBuilder app)
    {
        var cart = app.MapGroup("/cart");
        cart.MapPost("/add", Add);
        cart.MapPost("/set", Set);
        return app;
    }

    public static async Task<Results<RedirectHttpResult, ProblemHttpResult>> Add(
        HttpContext context, CartStore carts, NewCartLimit newCarts, CatalogClient catalog, [FromForm] int productId, [FromForm] int? quantity)
    {
        if (await catalog.FindAsync(productId) is null)
        {
            return UnknownProduct(productId);
        }
        var units = Math.Clamp(quantity ?? 1, 1, CartStore.MaxQuantity);
        if (CartCookie.Read(context) is { } cartId)
        {
            var change = await carts.AddAsync(cartId, productId, units, create: false);
            if (change != CartChange.NoCart)
            {
                CartCookie.Refresh(context, cartId);
                return Answer(context, change);
            }
        }
        // A new cart (no cookie, or one naming no cart): a new Redis key, so it counts against the client's address.
        if (await newCarts.AcquireAsync(context) is { } wait)
        {
            return TooManyNewCarts(context, wait);
        }
        return Answer(context, await carts.AddAsync(CartCookie.Create(context), productId, units, create: true));
    }

    public static async Task<Results<RedirectHttpResult, ProblemHttpResult>> Set(
        HttpContext context, CartStore carts, CatalogClient catalog, [FromForm] int productId, [FromForm] int quantity)
    {
        if (CartCookie.Read(context) is not { } cartId)
        {
            return TypedResults.Redirect("/cart");
        }
        if (await catalog.FindAsync(productId) is null)
        {
            return UnknownProduct(productId);
        }
        return Answer(context, await carts.SetAsync(cartId, productId, Math.Clamp(quantity, 0, CartStore.MaxQuantity)));
    }

    /// <summary>
    /// A browser always goes back to the cart page, which says why when a change was refused or cut short; a script
    /// gets a 409 problem for a refusal, as for any other refused form post.
    /// </summary>
    private static Results<RedirectHttpResult, ProblemHttpResult> Answer(HttpContext context, CartChange change) => change switch
    {
        CartChange.Done or CartChange.NoCart => TypedResults.Redirect("/cart"),
        CartChange.Capped => TypedResults.Redirect($"/cart?{NoticeParameter}=capped"),
        _ when ErrorResponses.AcceptsHtml(context.Request) => TypedResults.Redirect($"/cart?{NoticeParameter}={(change == CartChange.CartFull ? "cart-full" : "line-full")}"),
        _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Cart limit reached", detail: Notice(change)),
    };

    /// <summary>What the shopper is told about a change that was refused or cut short; null when there is nothing to say.</summary>
    public static string? Notice(CartChange change) => change switch
    {
        CartChange.Capped => $"A cart holds at most {CartStore.MaxQuantity} units of one product, so that line now has {CartStore.MaxQuantity}.",
        CartChange.LineFull => $"Nothing was added: a cart holds at most {CartStore.MaxQuantity} units of one product, and that line already has {CartStore.MaxQuantity}.",
        CartChange.CartFull => $"Nothing was added: a cart holds at most {CartStore.MaxLines} different products. Remove one to make room.",
        _ => null,
    };

    /// <summary>The notice named in the cart page's query string, if it is one of ours.</summary>
    public static string? Notice(string? parameter) => parameter switch
    {
        "capped" => Notice(CartChange.Capped),
        "line-full" => Notice(CartChange.LineFull),
        "cart-full" => Notice(CartChange.CartFull),
        "too-many-carts" => "Nothing was added: too many new carts were started from your network address in the last minute. Please try again in a minute.",
        _ => null,
    };

    /// <summary>
    /// A browser goes back to its cart page, which says why; a script gets a 429 problem with Retry-After. Either way no
    /// cart is made.
    /// </summary>
    private static Results<RedirectHttpResult, ProblemHttpResult> TooManyNewCarts(HttpContext context, TimeSpan wait)
    {
        SharedRateLimiter.SetRetryAfter(context.Response, wait);
        return ErrorResponses.AcceptsHtml(context.Request)
            ? TypedResults.Redirect($"/cart?{NoticeParameter}=too-many-carts")
            : TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many new carts",
                detail: $"Too many new carts were started from your network address in the last minute, so nothing was added. Try again in {SharedRateLimiter.RetryAfterSeconds(wait)} seconds, keeping the {CartCookie.Name} cookie the shop sends.");
    }

    /// <summary>The forms only ever post products of the catalog: anything else is a forged form, and no cart (or Redis key) is made for it.</summary>
    private static ProblemHttpResult UnknownProduct(int productId) => TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest,
        title: "No such product", detail: $"There is no product {productId} in the catalog, so it cannot go in a cart.");
}
