using System.ComponentModel.DataAnnotations;

namespace Shop.Web.Catalog;

/// <summary>How the storefront holds what it read from the catalog (section <c>Catalog</c>).</summary>
public sealed class CatalogReadOptions
{
    public const string SectionName = "Catalog";

    /// <summary>How long this process reuses what it read: the edge's promise, a change shows within about a second.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05")]
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromSeconds(1);
}
