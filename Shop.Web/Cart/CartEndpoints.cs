using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Shop.ServiceDefaults.Endpoints;
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
        HttpContext context, CartStore carts, CatalogClient catalog, [FromForm] int productId, [FromForm] int? quantity)
    {
        if (await catalog.FindAsync(productId) is null)
        {
            return UnknownProduct(productId);
        }
        var change = await carts.AddAsync(CartCookie.ReadOrCreate(context), productId, Math.Clamp(quantity ?? 1, 1, CartStore.MaxQuantity));
        return Answer(context, change);
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
        CartChange.Done => TypedResults.Redirect("/cart"),
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
        _ => null,
    };

    /// <summary>The forms only ever post products of the catalog: anything else is a forged form, and no cart (or Redis key) is made for it.</summary>
    private static ProblemHttpResult UnknownProduct(int productId) => TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest,
        title: "No such product", detail: $"There is no product {productId} in the catalog, so it cannot go in a cart.");
}
