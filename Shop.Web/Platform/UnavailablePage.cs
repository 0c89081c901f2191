using System.Net;
using Shop.ServiceDefaults.Endpoints;

namespace Shop.Web.Platform;

/// <summary>The storefront's answer when something behind a page is away for a moment: 503, Retry-After, and a page that tries again by itself.</summary>
public static class UnavailablePage
{
    /// <param name="retryPath">Where "try again" goes: the page itself for a GET, a page to come back to after a form post.</param>
    public static async Task WriteAsync(HttpContext context, int retryAfterSeconds, string heading, string message, string retryPath,
        CancellationToken cancellationToken)
    {
        ServiceUnavailable.SetRetryAfter(context.Response, retryAfterSeconds);
        context.Response.ContentType = "text/html; charset=utf-8";
        var again = WebUtility.HtmlEncode(retryPath);
        await context.Response.WriteAsync($"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{retryAfterSeconds}; url={again}"><title>Busy — Shop</title></head>
            <body><h1>{WebUtility.HtmlEncode(heading)}</h1>
            <p>{WebUtility.HtmlEncode(message)} This page tries again by itself in {retryAfterSeconds} seconds.</p>
            <p><a href="{again}">Try again now</a></p></body></html>
            """, cancellationToken);
    }
}
