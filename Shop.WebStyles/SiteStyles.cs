namespace Shop.WebStyles;

/// <summary>The stylesheet both Blazor sites (the storefront and the staff reports) share; each adds its own app.css after it.</summary>
public static class SiteStyles
{
    /// <summary>Its path relative to a site's root, as <c>@Assets[...]</c> takes it.</summary>
    public const string Path = "_content/Shop.WebStyles/site.css";
}
