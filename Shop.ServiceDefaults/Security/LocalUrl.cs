using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Shop.ServiceDefaults.Security;

/// <summary>
/// The one rule for a return URL (after the waiting room, after staff sign-in): a path on this site and nothing a
/// browser could read as another site. A prefix check is not enough: browsers drop tabs and newlines from a URL and read
/// a backslash as a slash, so <c>/\t/evil.example</c> and <c>/\evil.example</c> both mean <c>//evil.example</c>. So such
/// characters are refused (raw or percent-encoded, in case a later hop decodes once), and what is left is resolved against
/// an origin and must stay on it with a path that starts with a single slash. <c>Shop.Web/wwwroot/local-url.js</c> is
/// the same rule for scripts; LocalUrlTests holds both to one table.
/// </summary>
public static partial class LocalUrl
{
    public const string Home = "/";
    public const int MaxLength = 2048;

    // Any origin will do: only whether the value can leave it matters.
    private static readonly Uri Origin = new("https://shop.invalid/");

    public static bool IsLocal([NotNullWhen(true)] string? url) =>
        url is { Length: > 0 and <= MaxLength } && url[0] == '/' && !Unsafe().IsMatch(url)
        && Uri.TryCreate(Origin, url, out var resolved)
        && resolved.Scheme == Origin.Scheme && resolved.Host == Origin.Host && resolved.Port == Origin.Port
        && !resolved.AbsolutePath.StartsWith("//", StringComparison.Ordinal);

    /// <summary>The URL when it is local, else the home page.</summary>
    public static string OrHome(string? url) => IsLocal(url) ? url : Home;

    // Control characters and backslashes, raw or percent-encoded, and a second slash (raw or encoded) right after the first.
    [GeneratedRegex(@"[\u0000-\u001F\u007F-\u009F\\]|%(?:[01][0-9A-F]|7F|5C)|^/(?:/|%2F)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Unsafe();
}
