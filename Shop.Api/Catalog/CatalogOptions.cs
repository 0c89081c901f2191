using System.ComponentModel.DataAnnotations;

namespace Shop.Api.Catalog;

/// <summary>How long catalog reads may be served from cache. Staff updates invalidate earlier than this.</summary>
public sealed class CatalogCacheOptions
{
    public const string SectionName = "Catalog:Cache";

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ListExpiration { get; set; } = TimeSpan.FromSeconds(60);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ItemExpiration { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Where product images are served from. The default, the edge's own <c>/cdn</c> path, works for whatever host
/// and scheme the shopper used; production points it at a real CDN (an absolute URL).
/// </summary>
public sealed class CdnOptions
{
    public const string SectionName = "Cdn";

    [Required(ErrorMessage = "Cdn:BaseUrl is required, e.g. /cdn or https://cdn.example.com.")]
    public string BaseUrl { get; set; } = "/cdn";

    public string ImageUrl(string imageKey) => $"{BaseUrl.TrimEnd('/')}/{imageKey}";
}
