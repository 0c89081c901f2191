using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Shop.ServiceDefaults.Endpoints;

public static class ErrorResponses
{
    /// <summary>
    /// Errors for the sites people browse: a browser (Accept: text/html) gets the page at <paramref name="pathFormat"/>
    /// (<c>{0}</c> is the status code), every other client the same <c>application/problem+json</c> the API answers, so a
    /// script never has to parse an HTML error page. Exceptions always become problem details (or an IExceptionHandler's answer).
    /// </summary>
    public static WebApplication UseErrorPagesForBrowsers(this WebApplication app, string pathFormat)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseWhen(context => AcceptsHtml(context.Request),
            browser => browser.UseStatusCodePagesWithReExecute(pathFormat, createScopeForStatusCodePages: true));
        return app;
    }

    public static bool AcceptsHtml(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
}
