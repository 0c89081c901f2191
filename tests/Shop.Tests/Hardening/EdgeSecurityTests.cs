using System.Net;
using Shop.AppHost.Edge;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Hardening;

[Collection(ShopCollection.Name)]
public sealed class EdgeSecurityTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    // The storefront, an API answer, an API error, a CDN miss (its location has add_header lines of its own) and the edge's own health answer.
    private static readonly string[] Paths = ["/", "/api/instance", "/api/no-such-thing", $"/cdn/tests/{Guid.NewGuid():N}.txt", EdgeConfig.HealthPath];

    [Fact]
    public async Task Every_edge_response_carries_the_security_headers_and_https_ones_carry_HSTS()
    {
        foreach (var https in new[] { false, true })
        {
            using var client = Browserlike.Client(https ? new Uri($"https://localhost:{shop.Ports.EdgeHttps}") : new Uri($"http://localhost:{shop.Ports.EdgeHttp}"));
            foreach (var path in Paths)
            {
                using var response = await client.GetAsync(path);
                var what = $"{(https ? "https" : "http")} {path} ({(int)response.StatusCode})";
                Assert.Equal(EdgeConfig.ContentSecurityPolicy, Header(response, "Content-Security-Policy", what));
                Assert.Equal("nosniff", Header(response, "X-Content-Type-Options", what));
                Assert.Equal("DENY", Header(response, "X-Frame-Options", what));
                Assert.Equal("strict-origin-when-cross-origin", Header(response, "Referrer-Policy", what));
                if (https)
                {
                    Assert.Equal("max-age=31536000", Header(response, "Strict-Transport-Security", what));
                }
                else
                {
                    Assert.False(response.Headers.Contains("Strict-Transport-Security"), $"{what} sent HSTS over plain http.");
                }
            }
        }
    }

    [Fact]
    public async Task The_staff_reports_entrance_is_https_with_the_same_headers_and_one_frame_option()
    {
        using var client = Browserlike.Client(new Uri($"https://localhost:{shop.Ports.StaffHttps}"));
        // The sign-in page, a page that sends anonymous visitors to sign in, a 404 and a stylesheet.
        foreach (var path in new[] { "/login", "/reports/sales", "/no-such-report", "/app.css" })
        {
            using var response = await client.GetAsync(path);
            var what = $"staff https {path} ({(int)response.StatusCode})";
            Assert.True((int)response.StatusCode < 500, $"{what} failed.");
            Assert.Equal(EdgeConfig.ContentSecurityPolicy, Header(response, "Content-Security-Policy", what));
            Assert.Equal("nosniff", Header(response, "X-Content-Type-Options", what));
            Assert.Equal("DENY", Header(response, "X-Frame-Options", what));
            Assert.Equal("strict-origin-when-cross-origin", Header(response, "Referrer-Policy", what));
            Assert.Equal("max-age=31536000", Header(response, "Strict-Transport-Security", what));
        }

        // The sign-in redirect stays on the entrance the browser used, not the upstream's name.
        using var anonymous = await client.GetAsync("/reports/sales");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        var location = new Uri(client.BaseAddress!, anonymous.Headers.Location!);
        Assert.Equal($"https://localhost:{shop.Ports.StaffHttps}/login", location.GetLeftPart(UriPartial.Path));
    }

    [Fact]
    public async Task Edge_replaces_a_forged_scheme_so_cookies_over_http_are_not_marked_Secure()
    {
        using var client = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.EdgeHttp}"));
        using var request = new HttpRequestMessage(HttpMethod.Get, await Browserlike.ProductPagePathAsync(shop));
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("Forwarded", "proto=https;for=203.0.113.9");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(SetCookie.Single(response, ".AspNetCore.Antiforgery.").Secure);
    }

    [Fact]
    public void Edge_drops_every_forwarding_header_a_client_sends_and_sets_the_address_itself()
    {
        var config = EdgeConfig.Generate(new EdgeLayout(8080, 8443, "127.0.0.1", 5200, [5301], 10000, 8444, 8090, "/tmp/edge", "c.pem", "k.pem", WorkerUser: null));

        // Each proxying location (/api/, /api/admin/, the three catalog reads, the sales' queues, /api/orders and / of the
        // shop, / of the staff reports) must set all of them, since nginx passes on whatever a client sent otherwise.
        var proxyingLocations = new[] { "api", "web", "reporting" }.Sum(upstream => config.Split($"proxy_pass http://{upstream};").Length - 1);
        Assert.Equal(9, proxyingLocations);
        foreach (var line in new[]
        {
            "proxy_set_header X-Forwarded-For $remote_addr;", "proxy_set_header X-Real-IP $remote_addr;",
            "proxy_set_header X-Forwarded-Proto $scheme;", "proxy_set_header X-Forwarded-Host \"\";",
            "proxy_set_header X-Forwarded-Port \"\";", "proxy_set_header X-Forwarded-Prefix \"\";", "proxy_set_header Forwarded \"\";",
        })
        {
            Assert.Equal(proxyingLocations, config.Split(line).Length - 1);
        }
    }

    private static string Header(HttpResponseMessage response, string name, string what) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? Assert.Single(values)
            : throw new Xunit.Sdk.XunitException($"{what} has no {name} header.");
}
