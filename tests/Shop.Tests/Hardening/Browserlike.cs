using System.Net;
using System.Net.Http.Json;
using Shop.Tests.Infrastructure;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Shop.Tests.Hardening;

/// <summary>One Set-Cookie header, its attributes read as a browser reads them.</summary>
public sealed record SetCookie(string Name, string Value, IReadOnlyDictionary<string, string> Attributes)
{
    public bool Secure => Attributes.ContainsKey("secure");
    public bool HttpOnly => Attributes.ContainsKey("httponly");
    public string? SameSite => Attributes.GetValueOrDefault("samesite");

    public static IReadOnlyList<SetCookie> From(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var headers) ? [.. headers.Select(Parse)] : [];

    public static SetCookie Single(HttpResponseMessage response, string namePrefix) =>
        Assert.Single(From(response), c => c.Name.StartsWith(namePrefix, StringComparison.Ordinal));

    private static SetCookie Parse(string header)
    {
        var parts = header.Split(';', StringSplitOptions.TrimEntries);
        var (name, value) = Split(parts[0]);
        return new SetCookie(name, value, parts.Skip(1).Select(Split).ToDictionary(a => a.Name.ToLowerInvariant(), a => a.Value.ToLowerInvariant()));
    }

    private static (string Name, string Value) Split(string pair) =>
        pair.IndexOf('=') is var i and >= 0 ? (pair[..i], pair[(i + 1)..]) : (pair, "");
}

/// <summary>
/// A client without a cookie jar or redirects, optionally connecting from its own loopback address (all of 127/8 is
/// this machine), so a test gets a client address — and rate-limit count — of its own. Accepts the edge's self-signed
/// certificate.
/// </summary>
public static partial class Browserlike
{
    /// <summary>Asks for HTML as a browser does, so the sites answer with their pages rather than problem details.</summary>
    public static HttpClient AskingForHtml(this HttpClient client)
    {
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8");
        return client;
    }

    public static HttpClient Client(Uri baseAddress, IPAddress? source = null) =>
        new(new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
            ConnectCallback = source is null ? null : async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        { BaseAddress = baseAddress };

    /// <summary>A loopback address no other test uses: 127.2–254.x.y.</summary>
    public static IPAddress NewSourceAddress() =>
        new([127, (byte)Random.Shared.Next(2, 255), (byte)Random.Shared.Next(0, 256), (byte)Random.Shared.Next(1, 255)]);

    public static string AntiforgeryToken(string page)
    {
        var match = AntiforgeryField().Match(page);
        Assert.True(match.Success, "The page has no antiforgery token.");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>A product page with the add-to-cart form (shown only while the product is in stock) and its antiforgery token.</summary>
    public static async Task<string> ProductPagePathAsync(TestShop shop)
    {
        using var edge = shop.EdgeClient();
        var page = await edge.GetFromJsonAsync<CatalogPage>("/api/catalog/items?page=1&pageSize=100");
        return $"/product/{page!.Items.First(i => i.InStock).Id}";
    }

    private sealed record CatalogPage(IReadOnlyList<CatalogEntry> Items);
    private sealed record CatalogEntry(int Id, bool InStock);

    public static async Task<HttpResponseMessage> GetWithCookiesAsync(this HttpClient client, string path, IEnumerable<SetCookie> cookies)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", CookieHeader(cookies));
        return await client.SendAsync(request);
    }

    public static async Task<HttpResponseMessage> PostFormAsync(this HttpClient client, string path, IEnumerable<SetCookie> cookies, Dictionary<string, string> fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add("Cookie", CookieHeader(cookies));
        return await client.SendAsync(request);
    }

    /// <summary>A Cookie header made from the cookies a response set.</summary>
    public static string CookieHeader(params IEnumerable<SetCookie> cookies) => string.Join("; ", cookies.Select(c => $"{c.Name}={c.Value}"));

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
