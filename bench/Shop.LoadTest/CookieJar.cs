namespace Shop.LoadTest;

/// <summary>
/// A shopper's cookies, by name: all the shop sets are host-wide (ticket, admission, cart, antiforgery). A few bytes
/// per shopper where a <see cref="System.Net.CookieContainer"/> costs kilobytes — 250,000 waiting shoppers carry one each.
/// </summary>
public sealed class CookieJar
{
    private List<KeyValuePair<string, string>>? cookies;

    /// <summary>The Cookie header to send, or null when there is nothing to send.</summary>
    public string? Header => cookies is { Count: > 0 } ? string.Join("; ", cookies.Select(c => $"{c.Key}={c.Value}")) : null;

    /// <summary>Takes one Set-Cookie header: stores the cookie, or drops it when it is expired or deleted.</summary>
    public void Set(string setCookie)
    {
        var parts = setCookie.Split(';', StringSplitOptions.TrimEntries);
        var equals = parts[0].IndexOf('=');
        if (equals <= 0)
        {
            return;
        }
        var name = parts[0][..equals];
        var value = parts[0][(equals + 1)..];
        var expired = value.Length == 0 || parts.Skip(1).Any(Expires);
        cookies ??= [];
        cookies.RemoveAll(c => c.Key == name);
        if (!expired)
        {
            cookies.Add(new(name, value));
        }
    }

    private static bool Expires(string attribute)
    {
        var equals = attribute.IndexOf('=');
        if (equals <= 0)
        {
            return false;
        }
        var (name, value) = (attribute[..equals].Trim(), attribute[(equals + 1)..].Trim());
        return name.Equals("Max-Age", StringComparison.OrdinalIgnoreCase) ? long.TryParse(value, out var seconds) && seconds <= 0
            : name.Equals("Expires", StringComparison.OrdinalIgnoreCase) && DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) && at <= DateTimeOffset.UtcNow;
    }
}
