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
        var cart = app.MapGroup("/cart");
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
