using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Shop.ServiceDefaults.Endpoints;

/// <summary>What the two Blazor sites (the storefront and the staff reports) start up with, in the same order.</summary>
public static class WebSites
{
    /// <summary>
    /// The service defaults, and the static web assets manifest (blazor.web.js and friends): the AppHost runs services
    /// from their build output in every environment, not only Development. A published app has none and ignores it.
    /// </summary>
    public static WebApplicationBuilder AddWebSiteDefaults(this WebApplicationBuilder builder)
    {
        builder.WebHost.UseStaticWebAssets();
        builder.AddServiceDefaults();
        return builder;
    }

    /// <summary>
    /// Antiforgery cookies stated rather than left to defaults: a browser-session cookie (no Expires), never sent
    /// cross-site, never read by script.
    /// </summary>
    /// <param name="suppressXFrameOptions">True where the edge already sends <c>X-Frame-Options</c>, so no second, laxer copy contradicts it.</param>
    public static IServiceCollection AddSiteAntiforgery(this IServiceCollection services, bool suppressXFrameOptions = false) =>
        services.AddAntiforgery(options =>
        {
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.HttpOnly = true;
            options.SuppressXFrameOptionsHeader = suppressXFrameOptions;
        });

    /// <summary>
    /// The client's address from the edge, then the site's own error page for a person in a browser (problem details
    /// for scripts and other clients), at <paramref name="errorPathFormat"/>.
    /// </summary>
    public static WebApplication UseWebSiteFront(this WebApplication app, string errorPathFormat)
    {
        app.UseForwardedHeaders();
        app.UseErrorPagesForBrowsers(errorPathFormat);
        return app;
    }

    /// <summary>Antiforgery (after the site's own middleware), its static assets and its pages.</summary>
    public static WebApplication MapWebSite<TApp>(this WebApplication app) where TApp : Microsoft.AspNetCore.Components.IComponent
    {
        app.UseAntiforgeryWithRequestLimits();
        app.MapStaticAssets();
        app.MapRazorComponents<TApp>();
        return app;
    }
}
