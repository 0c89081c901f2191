using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Shop.AppHost.Edge;
using Shop.AppHost.Local;
using Shop.Tests.Hardening;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Platform;

/// <summary>
/// The edge's config, as generated, in an nginx of its own whose upstreams are all closed ports: no booted shop is
/// needed, and stopping the booted shop's upstreams would disturb the tests sharing it.
/// </summary>
public sealed class EdgeUpstreamsDownTests
{
    [Fact]
    public async Task With_every_upstream_down_each_entrance_answers_502_in_the_shops_own_words()
    {
        var directory = Directory.CreateTempSubdirectory("shop-edge-").FullName;
        var ports = FreePorts(8);
        var layout = new EdgeLayout(ports[0], ports[1], "127.0.0.1", ports[2], [ports[3], ports[4]], ports[5], ports[6], ports[7],
            directory, Path.Combine(directory, "tls", "edge.crt"), Path.Combine(directory, "tls", "edge.key"), EdgeLayout.LocalWorker);
        await using var edge = await StandaloneEdge.StartAsync(layout, layout.HttpPort, layout.StaffHttpsPort);
        using var http = Browserlike.Client(new Uri($"http://localhost:{layout.HttpPort}"));
        using var https = Browserlike.Client(new Uri($"https://localhost:{layout.HttpsPort}"));
        using var staff = Browserlike.Client(new Uri($"https://localhost:{layout.StaffHttpsPort}"));
        foreach (var client in new[] { http, https })
        {
            using var api = await client.GetAsync("/api/instance");
            await EdgeErrorTests.AssertEdgeProblemAsync(api, HttpStatusCode.BadGateway, "GET /api/instance");
            using var order = await client.PostAsync("/api/orders", new StringContent("{}", Encoding.UTF8, "application/json"));
            await EdgeErrorTests.AssertEdgeProblemAsync(order, HttpStatusCode.BadGateway, "POST /api/orders");
            using var asset = await client.GetAsync($"/cdn/products/{Guid.NewGuid():N}.svg");
            await EdgeErrorTests.AssertEdgeProblemAsync(asset, HttpStatusCode.BadGateway, "GET /cdn/");
            using var page = await client.GetAsync("/");
            await EdgeErrorTests.AssertEdgePageAsync(page, HttpStatusCode.BadGateway, "GET /");
        }
        using var reports = await staff.GetAsync("/reports/sales");
        await EdgeErrorTests.AssertEdgePageAsync(reports, HttpStatusCode.BadGateway, "staff GET /reports/sales");
    }

    internal static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
