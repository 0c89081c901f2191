using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Shop.Tests.Hardening;

namespace Shop.Tests.ServiceDefaults;

/// <summary>
/// A service believes X-Forwarded-For and -Proto only from the proxies of Shop:Network:TrustedProxies (loopback when
/// unset), on a real Kestrel reached from loopback addresses of the test's choosing (all of 127/8 is this machine).
/// </summary>
public sealed class ForwardedHeadersTests
{
    private static readonly IPAddress Gateway = IPAddress.Parse("127.41.0.10");
    private static readonly IPAddress Stranger = IPAddress.Parse("127.42.0.10");

    [Fact]
    public async Task By_default_only_loopback_proxies_are_believed()
    {
        await using var app = await StartEchoAsync([]);

        Assert.Equal("203.0.113.7 https", await EchoAsync(app, Stranger, "203.0.113.7"));
    }

    [Fact]
    public async Task With_trusted_networks_configured_only_proxies_in_them_are_believed()
    {
        await using var app = await StartEchoAsync([new("Shop:Network:TrustedProxies:0", "127.41.0.0/16"), new("Shop:Network:TrustedProxies:1", "::1")]);

        Assert.Equal("203.0.113.7 https", await EchoAsync(app, Gateway, "203.0.113.7"));
        Assert.Equal($"{Stranger} http", await EchoAsync(app, Stranger, "203.0.113.7"));
    }

    [Fact]
    public async Task Every_trusted_hop_is_unwrapped_and_the_first_untrusted_address_is_the_client()
    {
        // A load balancer (198.51.100.0/24) in front of the gateway: both listed, the shopper found behind them, and what
        // the shopper wrote into the header itself (192.0.2.1) never reached.
        await using var app = await StartEchoAsync([new("Shop:Network:TrustedProxies:0", "127.41.0.0/16"), new("Shop:Network:TrustedProxies:1", "198.51.100.0/24")]);

        Assert.Equal("203.0.113.7 https", await EchoAsync(app, Gateway, "192.0.2.1, 203.0.113.7, 198.51.100.9"));
    }

    [Fact]
    public async Task A_trusted_proxy_that_is_not_a_network_stops_the_service_at_start_naming_the_key()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection([new("Shop:Network:TrustedProxies:0", "10.0.0.0/8"), new("Shop:Network:TrustedProxies:1", "10.1.2.3/8")]);
        builder.AddServiceDefaults();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Shop:Network:TrustedProxies:1", error.Message);
        Assert.Contains("10.1.2.3/8", error.Message);
    }

    private static async Task<WebApplication> StartEchoAsync(KeyValuePair<string, string?>[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.UseForwardedHeaders();
        app.Run(context => context.Response.WriteAsync($"{context.Connection.RemoteIpAddress} {context.Request.Scheme}"));
        await app.StartAsync();
        return app;
    }

    private static async Task<string> EchoAsync(WebApplication app, IPAddress source, string forwardedFor)
    {
        using var client = Browserlike.Client(new Uri(app.Urls.Single()), source);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await client.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }
}
