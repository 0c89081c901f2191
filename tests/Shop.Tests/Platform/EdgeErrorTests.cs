using System.Net;
using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Shop.Tests.Hardening;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Platform;

/// <summary>
/// The edge's error answers are the shop's own: never a success's caching headers, never an upstream's body or
/// headers, every header once. The services' own errors pass through untouched.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class EdgeErrorTests(ShopFixture fixture)
{
    private const string YearLong = "public, max-age=31536000, immutable";
    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task A_missing_asset_is_the_shops_own_404_kept_briefly_and_never_for_a_year()
    {
        var name = $"products/does-not-exist-{Guid.NewGuid():N}.svg";
        using var edge = shop.EdgeClient();

        using var first = await edge.GetAsync($"/cdn/{name}");
        using var second = await edge.GetAsync($"/cdn/{name}");

        foreach (var response in new[] { first, second })
        {
            await AssertEdgeProblemAsync(response, HttpStatusCode.NotFound, $"GET /cdn/{name}");
        }
        // The edge answers a repeated miss itself instead of asking the blob store again.
        Assert.Equal("HIT", Single(second, "X-Cache-Status"));

        // Uploaded after the miss: it must show within the 404's short cache life, not a minute or a year later.
        var blobs = new BlobServiceClient(await shop.ConnectionStringAsync("blobs")).GetBlobContainerClient("assets");
        await blobs.UploadBlobAsync(name, BinaryData.FromString("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"));
        await Poll.UntilAsync(async () =>
        {
            using var response = await edge.GetAsync($"/cdn/{name}");
            return response.StatusCode == HttpStatusCode.OK;
        }, "the uploaded asset to replace the cached 404", TimeSpan.FromSeconds(25));
    }

    [Fact]
    public async Task A_real_asset_carries_one_year_long_cache_header_and_none_of_the_blob_stores()
    {
        var blobs = new BlobServiceClient(await shop.ConnectionStringAsync("blobs")).GetBlobContainerClient("assets");
        var name = $"tests/{Guid.NewGuid():N}.svg";
        // As the catalog seeder uploads product images: with a Cache-Control of the blob's own.
        await blobs.GetBlobClient(name).UploadAsync(BinaryData.FromString("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            new Azure.Storage.Blobs.Models.BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "image/svg+xml", CacheControl = YearLong } });
        using var edge = shop.EdgeClient();

        using var response = await edge.GetAsync($"/cdn/{name}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(YearLong, Single(response, "Cache-Control"));
        AssertEveryHeaderOnceAndNoUpstreamOnes(response, $"GET /cdn/{name}");
    }

    [Fact]
    public async Task The_cdn_refuses_writes_with_a_405_problem_naming_the_allowed_methods()
    {
        using var edge = shop.EdgeClient();

        using var response = await edge.PostAsync($"/cdn/tests/{Guid.NewGuid():N}.txt", new StringContent("x"));

        await AssertEdgeProblemAsync(response, HttpStatusCode.MethodNotAllowed, "POST /cdn/");
        Assert.Equal("GET, HEAD", Single(response, "Allow"));
    }

    [Fact]
    public async Task Requests_too_large_for_the_edge_get_the_shops_own_answer_on_every_entrance()
    {
        var body = new string('x', 2 * 1024 * 1024);
        using var http = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.EdgeHttp}"));
        using var staff = Browserlike.Client(new Uri($"https://localhost:{shop.Ports.StaffHttps}"));

        using (var order = await http.PostAsync("/api/orders", new StringContent(body, Encoding.UTF8, "application/json")))
        {
            await AssertEdgeProblemAsync(order, HttpStatusCode.RequestEntityTooLarge, "POST /api/orders of 2 MB");
        }
        using (var api = await http.PostAsync("/api/waitingroom/join", new StringContent(body, Encoding.UTF8, "application/json")))
        {
            await AssertEdgeProblemAsync(api, HttpStatusCode.RequestEntityTooLarge, "POST /api/waitingroom/join of 2 MB");
        }
        foreach (var (client, path) in new[] { (http, "/cart/add"), (staff, "/login") })
        {
            using var page = await client.PostAsync(path, new FormUrlEncodedContent([new("x", body)]));
            await AssertEdgePageAsync(page, HttpStatusCode.RequestEntityTooLarge, $"POST {path} of 2 MB");
        }

        // One header line longer than the edge's buffers: nginx's own "494", answered as 431.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Padding", new string('x', 20_000));
        using var headers = await http.SendAsync(request);
        await AssertEdgePageAsync(headers, HttpStatusCode.RequestHeaderFieldsTooLarge, "GET / with a 20 kB header");
    }

    [Fact]
    public async Task The_apis_own_problems_pass_through_the_edge_unchanged()
    {
        using var edge = shop.EdgeClient();

        using var response = await edge.PostAsync("/api/orders", new StringContent("{not json", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        // Answered by an instance, not replaced by the edge.
        Assert.Contains(Single(response, "X-Served-By"), TestShop.ApiInstances);
        Assert.DoesNotContain("no-store", response.Headers.CacheControl?.ToString() ?? "");
    }

    internal static async Task AssertEdgeProblemAsync(HttpResponseMessage response, HttpStatusCode status, string what)
    {
        var body = await AssertEdgeErrorAsync(response, status, what);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = System.Text.Json.JsonDocument.Parse(body);
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.RootElement.GetProperty("detail").GetString()), $"{what}: the problem has no detail.");
    }

    internal static async Task AssertEdgePageAsync(HttpResponseMessage response, HttpStatusCode status, string what)
    {
        var body = await AssertEdgeErrorAsync(response, status, what);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Back to the shop", body);
    }

    private static async Task<string> AssertEdgeErrorAsync(HttpResponseMessage response, HttpStatusCode status, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{what}: expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("no-store", Single(response, "Cache-Control"));
        Assert.DoesNotContain("nginx", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<?xml", body, StringComparison.Ordinal);
        Assert.Equal("DENY", Single(response, "X-Frame-Options"));
        AssertEveryHeaderOnceAndNoUpstreamOnes(response, what);
        return body;
    }

    private static void AssertEveryHeaderOnceAndNoUpstreamOnes(HttpResponseMessage response, string what)
    {
        foreach (var (name, values) in response.Headers.NonValidated.Concat(response.Content.Headers.NonValidated))
        {
            Assert.False(name.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase), $"{what} leaks the blob store's {name}.");
            Assert.False(name.Equals("Content-MD5", StringComparison.OrdinalIgnoreCase), $"{what} leaks the blob store's {name}.");
            Assert.True(values.Count == 1, $"{what} carries {name} {values.Count} times: {string.Join(" | ", values)}");
        }
        if (response.Headers.NonValidated.TryGetValues("Server", out var server))
        {
            Assert.Equal("nginx", server.ToString());
        }
    }

    private static string Single(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) || response.Content.Headers.NonValidated.TryGetValues(name, out values)
            ? Assert.Single(values)
            : throw new Xunit.Sdk.XunitException($"No {name} header.");
}
