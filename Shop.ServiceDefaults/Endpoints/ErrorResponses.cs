using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Shop.ServiceDefaults.Endpoints;

public static class ErrorResponses
{
    private const int MaxDetailLength = 500;

    /// <summary>
    /// Errors for the sites people browse: a browser (Accept: text/html) gets the page at <paramref name="pathFormat"/>
    /// (<c>{0}</c> is the status code), every other client the same <c>application/problem+json</c> the API answers, so a
    /// script never has to parse an HTML error page. Exceptions always become problem details (or an IExceptionHandler's answer).
    /// </summary>
    public static WebApplication UseErrorPagesForBrowsers(this WebApplication app, string pathFormat)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Only a page visit is re-executed as the error page: a refused form post re-run as a page would be checked for
        // its antiforgery token a second time, which throws (a 500 in place of the 400).
        app.UseWhen(context => AcceptsHtml(context.Request) && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)),
            browser => browser.UseStatusCodePagesWithReExecute(pathFormat, createScopeForStatusCodePages: true));
        app.UseWhen(context => !AcceptsHtml(context.Request) && context.GetEndpoint()?.Metadata.GetMetadata<ComponentTypeMetadata>() is not null,
            script => script.Use(ProblemDetailsForPageErrorsAsync));
        return app;
    }

    public static bool AcceptsHtml(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A page writes its own errors (Blazor's plain-text "no antiforgery token" or "which form?", a rendered not-found page),
    /// which status code pages leave alone. For a client that did not ask for HTML the page's answer is held back, and a
    /// 4xx is sent as problem details instead (Blazor's plain-text message as the detail). Pages are small, and browsers never take this path.
    /// </summary>
    private static async Task ProblemDetailsForPageErrorsAsync(HttpContext context, RequestDelegate next)
    {
        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }
        if (!context.Response.HasStarted && context.Response.StatusCode is >= 400 and < 500 && context.Response.ContentType?.StartsWith("application/problem+json", StringComparison.Ordinal) != true)
        {
            var detail = context.Response.ContentType?.StartsWith("text/plain", StringComparison.Ordinal) == true
                ? System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)Math.Min(buffer.Length, MaxDetailLength)).Trim()
                : null;
            context.Response.Headers.ContentLength = null;
            context.Response.ContentType = null;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new()
            {
                HttpContext = context,
                ProblemDetails = { Status = context.Response.StatusCode, Detail = detail },
            });
            return;
        }
        buffer.Position = 0;
        await buffer.CopyToAsync(original, context.RequestAborted);
    }
}
