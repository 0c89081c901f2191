using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Shop.Web.Catalog;

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

    public static async Task<Results<RedirectHttpResult, ProblemHttpResult>> Add(
        HttpContext context, CartStore carts, CatalogClient catalog, [FromForm] int productId, [FromForm] int? quantity)
    {
        if (await catalog.FindAsync(productId) is null)
        {
            return UnknownProduct(productId);
        }
        await carts.AddAsync(CartCookie.ReadOrCreate(context), productId, Math.Clamp(quantity ?? 1, 1, CartStore.MaxQuantity));
        return TypedResults.Redirect("/cart");
    }

    public static async Task<Results<RedirectHttpResult, ProblemHttpResult>> Set(
        HttpContext context, CartStore carts, CatalogClient catalog, [FromForm] int productId, [FromForm] int quantity)
    {
        if (CartCookie.Read(context) is { } cartId)
        {
            if (await catalog.FindAsync(productId) is null)
            {
                return UnknownProduct(productId);
            }
            await carts.SetAsync(cartId, productId, Math.Clamp(quantity, 0, CartStore.MaxQuantity));
        }
        return TypedResults.Redirect("/cart");
    }

    /// <summary>The forms only ever post products of the catalog: anything else is a forged form, and no cart (or Redis key) is made for it.</summary>
    private static ProblemHttpResult UnknownProduct(int productId) => TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest,
        title: "No such product", detail: $"There is no product {productId} in the catalog, so it cannot go in a cart.");
}
