using System.Net;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Shop.Tests.Hardening;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Platform;

[Collection(ShopCollection.Name)]
public sealed partial class EdgeTests(ShopFixture fixture)
{
    private const string ServedBy = "X-Served-By";
    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task Edge_spreads_300_requests_over_all_three_api_instances()
    {
        using var edge = shop.EdgeClient();
        var counts = new Dictionary<string, int>();

        for (var i = 0; i < 300; i++)
        {
            using var response = await edge.GetAsync("/api/instance");
            response.EnsureSuccessStatusCode();
            var instance = response.Headers.GetValues(ServedBy).Single();
            counts[instance] = counts.GetValueOrDefault(instance) + 1;
        }

        Assert.Equal(TestShop.ApiInstances, counts.Keys.Order());
        Assert.All(counts, c => Assert.True(c.Value >= 60, $"{c.Key} served only {c.Value} of 300 requests."));
    }

    [Fact]
    public async Task Every_api_response_names_its_instance_even_a_404_problem()
    {
        using var edge = shop.EdgeClient();

        using var response = await edge.GetAsync("/api/no-such-thing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(response.Headers.GetValues(ServedBy).Single(), TestShop.ApiInstances);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Storefront_is_served_at_the_root_over_http_and_https()
    {
        using var http = shop.EdgeClient();
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var https = new HttpClient(handler) { BaseAddress = new Uri($"https://localhost:{shop.Ports.EdgeHttps}") };

        foreach (var client in new[] { http, https })
        {
            var page = await client.GetStringAsync("/");
            Assert.Contains("<h1>Shop</h1>", page);
        }
    }

    [Fact]
    public async Task Both_sites_link_the_shared_stylesheet_and_the_edge_serves_it_as_it_serves_their_own()
    {
        using var storefront = shop.EdgeClient();
        using var staff = Browserlike.Client(new Uri($"https://localhost:{shop.Ports.StaffHttps}"));

        foreach (var (client, path) in new[] { (storefront, "/"), (staff, "/login") })
        {
            var what = new Uri(client.BaseAddress!, path);
            var sheets = StylesheetLinks().Matches(await client.GetStringAsync(path)).Select(m => m.Groups[1].Value).ToList();
            // The shared rules first, then the site's own; both fingerprinted by @Assets.
            var shared = sheets.FindIndex(s => s.StartsWith("_content/Shop.WebStyles/site.", StringComparison.Ordinal));
            var own = sheets.FindIndex(s => s.StartsWith("app.", StringComparison.Ordinal));
            Assert.True(shared >= 0 && own > shared, $"{what} links the stylesheets [{string.Join(", ", sheets)}].");

            using var sharedSheet = await client.GetAsync("/" + sheets[shared]);
            using var ownSheet = await client.GetAsync("/" + sheets[own]);
            foreach (var sheet in new[] { sharedSheet, ownSheet })
            {
                Assert.True(sheet.StatusCode == HttpStatusCode.OK, $"{sheet.RequestMessage!.RequestUri} answered {(int)sheet.StatusCode}.");
                Assert.Equal("text/css", sheet.Content.Headers.ContentType?.MediaType);
            }
            var rules = await sharedSheet.Content.ReadAsStringAsync();
            Assert.Contains(".site-header .brand {", rules);
            Assert.Contains("main {", rules);
            // Cached as the site's own fingerprinted app.css is (MapStaticAssets: a year, immutable; no-cache in Development).
            Assert.NotNull(sharedSheet.Headers.CacheControl);
            Assert.Equal(ownSheet.Headers.CacheControl?.ToString(), sharedSheet.Headers.CacheControl?.ToString());
        }
    }

    [Fact]
    public async Task Storefront_answers_an_unknown_page_with_its_own_404_page()
    {
        using var edge = shop.EdgeClient();

        using var response = await edge.GetAsync("/no-such-page");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Not Found", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Edge_compresses_text_with_gzip()
    {
        using var handler = new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None };
        using var edge = new HttpClient(handler) { BaseAddress = new Uri($"http://localhost:{shop.Ports.EdgeHttp}") };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.AcceptEncoding.ParseAdd("gzip");

        using var response = await edge.SendAsync(request);

        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
    }

    [Fact]
    public async Task Cdn_fetches_a_blob_once_then_serves_it_from_the_edge_cache()
    {
        var blobs = new BlobServiceClient(await shop.ConnectionStringAsync("blobs")).GetBlobContainerClient("assets");
        var name = $"tests/{Guid.NewGuid():N}.txt";
        await blobs.UploadBlobAsync(name, BinaryData.FromString("hello from the blob store"));
        using var edge = shop.EdgeClient();

        using var first = await edge.GetAsync($"/cdn/{name}");
        using var second = await edge.GetAsync($"/cdn/{name}");

        Assert.Equal("hello from the blob store", await second.Content.ReadAsStringAsync());
        Assert.Equal("MISS", first.Headers.GetValues("X-Cache-Status").Single());
        Assert.Equal("HIT", second.Headers.GetValues("X-Cache-Status").Single());
        Assert.True(second.Headers.CacheControl?.MaxAge >= TimeSpan.FromDays(30));
    }

    [Fact]
    public async Task Edge_keeps_answering_when_an_api_instance_stops()
    {
        var commands = shop.App.Services.GetRequiredService<ResourceCommandService>();
        using var edge = shop.EdgeClient();
        try
        {
            // The command may report a timeout while the process is still exiting; what counts is that it is gone.
            await commands.ExecuteCommandAsync("api-2", KnownResourceCommands.StopCommand);
            await Poll.UntilAsync(() => !TestShop.IsListening(shop.Ports.ApiBase + 1), "api-2 to stop listening");

            var servedBy = new HashSet<string>();
            for (var i = 0; i < 60; i++)
            {
                using var response = await edge.GetAsync("/api/instance");
                Assert.True(response.IsSuccessStatusCode, $"Request {i} failed with {(int)response.StatusCode}.");
                servedBy.Add(response.Headers.GetValues(ServedBy).Single());
            }
            Assert.Equal(["api-1", "api-3"], servedBy.Order());
        }
        finally
        {
            await shop.StartAgainAsync("api-2");
            await Poll.UntilAsync(async () => await ServedByAsync(edge) == "api-2", "the edge to route to api-2 again");
        }
    }

    [GeneratedRegex("""<link rel="stylesheet" href="([^"]+)"\s*/?>""")]
    private static partial Regex StylesheetLinks();

    private static async Task<string?> ServedByAsync(HttpClient edge)
    {
        using var response = await edge.GetAsync("/api/instance");
        return response.Headers.TryGetValues(ServedBy, out var servedBy) ? servedBy.Single() : null;
    }
}
