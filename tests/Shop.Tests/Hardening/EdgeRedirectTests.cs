using System.Diagnostics;
using System.Net;
using System.Text;
using Shop.AppHost.Edge;
using Shop.Tests.Infrastructure;
using Shop.Tests.Platform;

namespace Shop.Tests.Hardening;

/// <summary>
/// <c>Shop:Edge:RedirectHttpToHttps</c>, as production runs it, in an nginx of its own with the edge's generated config
/// (upstreams closed): the booted shop keeps the local default, plain http served.
/// </summary>
public sealed class EdgeRedirectTests
{
    [Fact]
    public async Task With_the_redirect_on_every_http_request_goes_to_https_but_the_health_check_and_admin_calls_which_are_refused()
    {
        var directory = Directory.CreateTempSubdirectory("shop-edge-redirect-").FullName;
        var ports = EdgeUpstreamsDownTests.FreePorts(8);
        var layout = new EdgeLayout(ports[0], ports[1], "127.0.0.1", ports[2], [ports[3]], ports[4], ports[5], ports[6],
            directory, Path.Combine(directory, "tls", "edge.crt"), Path.Combine(directory, "tls", "edge.key"), EdgeLayout.LocalWorker,
            RedirectHttpToHttps: true, PublicHttpsPort: ports[7]);
        await using var edge = await StandaloneEdge.StartAsync(layout, layout.HttpPort, layout.HttpsPort);
        using var http = Browserlike.Client(new Uri($"http://localhost:{layout.HttpPort}"));
        using var https = Browserlike.Client(new Uri($"https://localhost:{layout.HttpsPort}"));

        // Pages, API calls and assets alike, the method kept (308): a POST is sent again, to https.
        foreach (var (method, path) in new[] { ("GET", "/"), ("GET", "/product/1?x=%2F"), ("POST", "/api/orders"), ("GET", "/cdn/products/a.svg") })
        {
            using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.True(response.StatusCode == HttpStatusCode.PermanentRedirect, $"{method} {path}: {(int)response.StatusCode}");
            Assert.Equal($"https://localhost:{ports[7]}{path}", response.Headers.Location?.OriginalString);
        }

        // The orchestrator's health check still asks over http.
        using var health = await http.GetAsync(EdgeConfig.HealthPath);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        // An admin call's key already went in clear: refused, not carried on by a redirect.
        using var admin = new HttpRequestMessage(HttpMethod.Put, "/api/admin/catalog/items/1") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        admin.Headers.Add("X-Admin-Key", "any-key-at-all-0000");
        using var refused = await http.SendAsync(admin);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains("https", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Over https nothing is redirected, and browsers are told to keep to https.
        using var secure = await https.GetAsync("/api/instance");
        Assert.Equal(HttpStatusCode.BadGateway, secure.StatusCode);
        Assert.Equal("max-age=31536000", string.Join(",", secure.Headers.GetValues("Strict-Transport-Security")));
    }

    [Fact]
    public void The_redirect_is_off_unless_asked_for()
    {
        Assert.False(new Shop.AppHost.Infrastructure.ShopSettings().Edge.RedirectHttpToHttps);
        var config = EdgeConfig.Generate(new EdgeLayout(8080, 8443, "127.0.0.1", 5200, [5301], 10000, 8444, 8090, "/tmp/edge", "c.pem", "k.pem", WorkerUser: null));
        Assert.DoesNotContain("return 308", config, StringComparison.Ordinal);
    }
}
