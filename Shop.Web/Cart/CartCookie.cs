using System.Security.Cryptography;

namespace Shop.Web.Cart;

/// <summary>The cart's identity: a random id in an HttpOnly cookie, so scripts on the page cannot read or steal it.</summary>
public static class CartCookie
{
    public const string Name = "shop.cart";

    public static string? Read(HttpContext context) =>
        context.Request.Cookies.TryGetValue(Name, out var id) && IsWellFormed(id) ? id : null;

    public static string ReadOrCreate(HttpContext context)
    {
        if (Read(context) is { } existing)
        {
            Refresh(context, existing);
            return existing;
        }
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Refresh(context, id);
        return id;
    }

    private static void Refresh(HttpContext context, string id) =>
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
