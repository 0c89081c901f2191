using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Shop.Web.Cart;

/// <summary>
/// Plain HTML form posts (with antiforgery tokens), each answered with a redirect to the cart page, so the
/// storefront needs no interactive circuit and a reload never re-submits.
/// </summary>
public static class CartEndpoints
{
    public static IEndpointRouteBuilder MapCartEndpoints(this IEndpointRouteBuilder app)
    {
        // A post refused before the handler (no antiforgery token, a form that does not bind) answers 400 as it is: re-executed
        // as the not-found page, the same POST would be checked for its token a second time, which throws (a 500).
        var cart = app.MapGroup("/cart").WithMetadata(new SkipStatusCodePagesAttribute());
        cart.MapPost("/add", Add);
        cart.MapPost("/set", Set);
        return app;
    }

    public static async Task<RedirectHttpResult> Add(HttpContext context, CartStore carts, [FromForm] int productId, [FromForm] int? quantity)
    {
        if (productId > 0)
        {
            await carts.AddAsync(CartCookie.ReadOrCreate(context), productId, Math.Clamp(quantity ?? 1, 1, CartStore.MaxQuantity));
        }
        return TypedResults.Redirect("/cart");
    }

    public static async Task<RedirectHttpResult> Set(HttpContext context, CartStore carts, [FromForm] int productId, [FromForm] int quantity)
    {
        if (CartCookie.Read(context) is { } cartId && productId > 0)
        {
            await carts.SetAsync(cartId, productId, Math.Clamp(quantity, 0, CartStore.MaxQuantity));
        }
        return TypedResults.Redirect("/cart");
    }
}
