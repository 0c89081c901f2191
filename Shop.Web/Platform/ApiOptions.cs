using System.ComponentModel.DataAnnotations;

namespace Shop.Web.Platform;

/// <summary>How the storefront reaches the API instances (section <c>Api</c>): catalog reads, orders and the current sale alike.</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>The service-discovery name under which the AppHost lists every API instance.</summary>
    [Required]
    public string Instances { get; set; } = "http://api";

    /// <summary>
    /// How long one instance may take to answer before the page says the shop is busy. Generous on purpose: an
    /// instance that is slow under a peak is still working on the request, and a slower page beats an error page.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long reaching an instance may take; one that is not there refuses at once, one that is gone may not.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(1);
}
