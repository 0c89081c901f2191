using System.Security.Cryptography;
using System.Text;

namespace Shop.MigrationService.Seeding;

/// <summary>A generated picture per category and colour, shared by the products that match it.</summary>
public sealed record ProductImage(string Key, byte[] Content)
{
    public const string ContentType = "image/svg+xml";

    private static readonly Dictionary<string, string> Fill = new()
    {
        ["Red"] = "#d64545", ["Blue"] = "#3b6fd6", ["Green"] = "#3f9d5a", ["Black"] = "#2b2b2b", ["Orange"] = "#e0862f",
    };

    /// <summary>
    /// The object name carries a hash of the content, so a changed picture gets a new name and the CDN's
    /// year-long cache lifetime can never serve an outdated one.
    /// </summary>
    public static ProductImage For(CategorySpec category, string color)
    {
        var svg = $"""
            <svg xmlns="http://www.w3.org/2000/svg" width="480" height="360" viewBox="0 0 480 360">
              <rect width="480" height="360" fill="{Fill[color]}"/>
              <circle cx="240" cy="150" r="90" fill="#ffffff" fill-opacity="0.25"/>
              <text x="240" y="175" font-family="sans-serif" font-size="72" font-weight="700" fill="#ffffff" text-anchor="middle">{category.Name[..2]}</text>
              <text x="240" y="300" font-family="sans-serif" font-size="32" fill="#ffffff" text-anchor="middle">{category.Name}</text>
            </svg>
            """;
        var content = Encoding.UTF8.GetBytes(svg);
        var hash = Convert.ToHexStringLower(SHA256.HashData(content))[..12];
        return new ProductImage($"products/{category.Slug}-{color.ToLowerInvariant()}-{hash}.svg", content);
    }
}
