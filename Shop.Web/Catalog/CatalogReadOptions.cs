using System.ComponentModel.DataAnnotations;

namespace Shop.Web.Catalog;

/// <summary>How the storefront reads the catalog from the API instances (section <c>Catalog</c>).</summary>
public sealed class CatalogReadOptions
{
    public const string SectionName = "Catalog";

    /// <summary>The service-discovery name under which the AppHost lists every API instance.</summary>
    [Required]
    public string Api { get; set; } = "http://api";

    /// <summary>How long one instance may take to answer a read before the page says the shop is busy.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long reaching an instance may take; one that is not there refuses at once, one that is gone may not.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long this process reuses what it read: the edge's promise, a change shows within about a second.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05")]
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromSeconds(1);
}
