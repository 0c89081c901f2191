using System.Security.Cryptography;

namespace Shop.Web.Cart;

/// <summary>The cart's identity: a random id in an HttpOnly cookie, so scripts on the page cannot read or steal it.</summary>
public static class CartCookie
{
    public const string Name = "shop.cart";

    public static string? Read(HttpContext context) =>
        context.Request.Cookies.TryGetValue(Name, out var id) && IsWellFormed(id) ? id : null;

    /// <summary>A new random id for a new cart, set in the cookie.</summary>
    public static string Create(HttpContext context)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Refresh(context, id);
        return id;
    }

    /// <summary>Sends the cookie again, so the browser keeps it as long as the cart is kept.</summary>
    public static void Refresh(HttpContext context, string id) =>
        context.Response.Cookies.Append(Name, id, new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Lax,
            MaxAge = CartStore.IdleLifetime,
            IsEssential = true,
        });

    private static bool IsWellFormed(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);
}
