using System.Net;
using System.Text.Json;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Hardening;

/// <summary>
/// The admin key is a credential that must be neither sniffed nor guessed: it is refused where it crossed a network in
/// clear (the edge's http, or a proxy that says it took the call over http), and wrong keys are counted per address.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class AdminKeyTests(ShopFixture fixture)
{
    /// <summary>Wrong keys an address may send per window (Admin:FailuresPerAddress's default, which the test shop keeps).</summary>
    private const int FailuresPerAddress = 10;
    private const int Product = 3;

    private readonly TestShop shop = fixture.Shop;

    /// <summary>A read only staff may make, of a sale that does not exist: 404 once the key is taken, nothing written.</summary>
    private static string StatsPath() => $"/api/admin/sales/{NoSuchSale()}/stats";

    private static string NoSuchSale() => $"no-sale-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task Admin_calls_over_the_edges_plain_http_are_a_403_problem_saying_to_use_https_and_change_nothing()
    {
        var key = await shop.ParameterAsync("admin-key");
        var before = await ProductRowAsync(Product);
        using var http = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.EdgeHttp}"), Browserlike.NewSourceAddress());
        foreach (var (method, path, body) in new[]
        {
            (HttpMethod.Put, $"/api/admin/catalog/items/{Product}", """{"price":4321.5}"""),
            (HttpMethod.Get, StatsPath(), null),
            (HttpMethod.Delete, $"/api/admin/sales/{NoSuchSale()}", null),
            (HttpMethod.Put, $"/api/admin/sales/{NoSuchSale()}", "{}"),
        })
        {
            // The right key and a wrong one alike: over http the key is not even looked at.
            foreach (var sent in new[] { key, "not-the-admin-key-but-long-enough" })
            {
                using var request = new HttpRequestMessage(method, path)
                {
                    Content = body is null ? null : new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("X-Admin-Key", sent);
                using var response = await http.SendAsync(request);
                await AssertProblemAsync(response, HttpStatusCode.Forbidden, "https", $"{method} {path} over http");
            }
        }
        Assert.Equal(before, await ProductRowAsync(Product));

        // The same call over the edge's https is taken.
        using var https = AdminOverHttps(Browserlike.NewSourceAddress(), key);
        using var stats = await https.GetAsync(StatsPath());
        await AssertProblemAsync(stats, HttpStatusCode.NotFound, "", "GET stats over https");
    }

    [Fact]
    public async Task The_api_refuses_an_admin_call_a_proxy_took_over_plain_http_and_takes_one_made_on_this_machine()
    {
        var key = await shop.ParameterAsync("admin-key");
        using var instance = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.ApiBase}"), Browserlike.NewSourceAddress());

        // From loopback, a trusted proxy: the forwarded scheme is believed, and plain http is refused as the edge refuses it.
        using var forwardedHttp = await SendAsync(instance, StatsPath(), key, ("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-Proto", "http"));
        await AssertProblemAsync(forwardedHttp, HttpStatusCode.Forbidden, "https", "an instance, forwarded over http");
        using var forwardedNoScheme = await SendAsync(instance, StatsPath(), key, ("X-Forwarded-For", "203.0.113.8"));
        await AssertProblemAsync(forwardedNoScheme, HttpStatusCode.Forbidden, "https", "an instance, forwarded without a scheme");

        using var forwardedHttps = await SendAsync(instance, StatsPath(), key, ("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https"));
        await AssertProblemAsync(forwardedHttps, HttpStatusCode.NotFound, "", "an instance, forwarded over https");
        // Straight from this machine, no proxy: the key crossed no network (the tests', the bench's and the load test's way).
        using var direct = await SendAsync(instance, StatsPath(), key);
        await AssertProblemAsync(direct, HttpStatusCode.NotFound, "", "an instance, directly");
    }

    [Fact]
    public async Task Wrong_keys_from_one_address_get_429_with_Retry_After_and_the_right_key_from_another_address_still_works()
    {
        var key = await shop.ParameterAsync("admin-key");
        var attacker = Browserlike.NewSourceAddress();
        using var guesses = AdminOverHttps(attacker, key: null);

        // Spread by the edge over every instance: one count per address, shared through Redis.
        for (var i = 0; i < FailuresPerAddress; i++)
        {
            using var wrong = await SendAsync(guesses, StatsPath(), $"guess-{i}-{Guid.NewGuid():N}");
            await AssertProblemAsync(wrong, HttpStatusCode.Unauthorized, "", $"wrong key {i + 1}");
        }
        foreach (var (what, sent) in new[] { ("another wrong key", "guess-after-the-limit-0000"), ("the right key from that address", key) })
        {
            using var limited = await SendAsync(guesses, StatsPath(), sent);
            await AssertProblemAsync(limited, (HttpStatusCode)429, "", what);
            Assert.True(limited.Headers.RetryAfter?.Delta is { } wait && wait > TimeSpan.Zero && wait <= TimeSpan.FromMinutes(10),
                $"{what}: Retry-After {limited.Headers.RetryAfter}");
        }

        using var staff = AdminOverHttps(Browserlike.NewSourceAddress(), key);
        using var taken = await staff.GetAsync(StatsPath());
        await AssertProblemAsync(taken, HttpStatusCode.NotFound, "", "the right key from another address");
    }

    /// <summary>The edge's https entrance from <paramref name="source"/>, sending <paramref name="key"/> (when given) on every call.</summary>
    private HttpClient AdminOverHttps(IPAddress source, string? key)
    {
        var client = Browserlike.Client(new Uri($"https://localhost:{shop.Ports.EdgeHttps}"), source);
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-Admin-Key", key);
        }
        return client;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string key, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Admin-Key", key);
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }
        return await client.SendAsync(request);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected, string detailMentions, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{what}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.True(problem.RootElement.TryGetProperty("detail", out var detail)
            && detail.GetString() is { Length: > 0 } text && text.Contains(detailMentions, StringComparison.OrdinalIgnoreCase),
            $"{what}: the problem does not say '{detailMentions}': {body}");
    }

    private async Task<string> ProductRowAsync(int id)
    {
        await using var db = Npgsql.NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using var select = db.CreateCommand("SELECT concat_ws('|', price, stock, name, updated_at) FROM products WHERE id = $1");
        select.Parameters.Add(new Npgsql.NpgsqlParameter { Value = id });
        return (string)(await select.ExecuteScalarAsync())!;
    }
}
