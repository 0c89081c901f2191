using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Shop.AppHost.Edge;
using Shop.ServiceDefaults.Security;
using Shop.Tests.Hardening;
using Shop.Tests.Infrastructure;
using Shop.Tests.Orders;
using Shop.Tests.WaitingRoom;
using StackExchange.Redis;

namespace Shop.Tests.Platform;

/// <summary>
/// Nothing assumes loopback or one machine: API instances run as they would on a cluster, each on a host of its own (a
/// Linux network namespace with its own address on a bridge), behind an edge running the generated config, with the
/// environment the AppHost gave api-1 and the edge's address as their one trusted proxy. Shoppers reach the edge from
/// addresses of their own (127.x.y.z). The data services stay the booted shop's: they listen on loopback only, which a
/// namespace cannot reach, so the network shares their ports on the bridge.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed partial class NetworkNamespaceTests(ShopFixture fixture)
{
    /// <summary>The AppHost's default <c>Shop:RateLimits:OrdersPerMinute</c>, which the test shop keeps.</summary>
    private const int OrdersPerMinute = 120;
    private const int Product = 4931;
    private const string BootedInstance = "api-1";

    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task Api_instances_on_hosts_of_their_own_behind_the_edge_count_each_shopper_by_address_and_keep_the_exemption_and_admission()
    {
        var exemptShopper = Browserlike.NewSourceAddress();
        var exempt = new IPNetwork(new IPAddress([.. exemptShopper.GetAddressBytes()[..3], 0]), 24);
        await using var network = await NamespaceNetwork.CreateAsync(shop.PortOffset, hosts: 2);
        var instances = await StartInstancesAsync(network, exempt);
        await using var edge = await StartEdgeAsync(network);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("redis"));
        var cluster = new Cluster(network, edge.Layout, instances, redis.GetDatabase(), exempt);

        await TheEdgeSpreadsOverTheHostsAsync(cluster);
        await EachShopperIsCountedByTheAddressTheEdgeForwardedAsync(cluster);
        await ForwardedHeadersAreBelievedFromTheEdgeOnlyAsync(cluster);
        await AnExemptNetworkIsNeitherLimitedNorCountedAsync(cluster, exemptShopper);
        await AdmissionStillHoldsAsync(cluster);
    }

    [Fact]
    public void The_edge_config_sends_api_to_each_instances_own_host_and_refuses_a_host_list_that_does_not_match_the_ports()
    {
        var layout = new EdgeLayout(8080, 8443, "127.0.0.1", 5200, [5301, 5302], 10000, 8444, 8090, "/tmp/edge", "c.pem", "k.pem", WorkerUser: null,
            ApiHosts: ["10.1.2.3", "10.1.2.4"]);

        var config = EdgeConfig.Generate(layout);

        Assert.Contains("server 10.1.2.3:5301 max_fails=1", config);
        Assert.Contains("server 10.1.2.4:5302 max_fails=1", config);
        Assert.DoesNotContain("server 127.0.0.1:530", config);
        Assert.Contains("server 127.0.0.1:5200;", config);
        Assert.Throws<ArgumentException>(() => EdgeConfig.Generate(layout with { ApiHosts = ["10.1.2.3"] }));
    }

    /// <summary>The namespaces' instances behind their edge, and where the order limit keeps its counts.</summary>
    private sealed record Cluster(NamespaceNetwork Network, EdgeLayout Edge, IReadOnlyList<string> Instances, IDatabase Counts, IPNetwork Exempt)
    {
        public Uri EdgeHttp => new($"http://localhost:{Edge.HttpPort}");

        public Uri Instance(int index) => new($"http://{Network.Hosts[index].Address}:{ApiPort}");

        public int ApiPort => Edge.ApiPorts[0];

        /// <summary>An address of its own for a shopper, outside the exempt network.</summary>
        public IPAddress NewShopper()
        {
            var address = Browserlike.NewSourceAddress();
            return Exempt.Contains(address) ? NewShopper() : address;
        }

        /// <summary>SharedRateLimiter's count of <paramref name="client"/>'s order requests.</summary>
        public async Task<long> OrderRequestsCountedAsync(IPAddress client) =>
            (long?)await Counts.StringGetAsync($"ratelimit:orders:{ClientAddress.Partition(client)}") ?? 0;
    }

    /// <summary>One instance per host, started as the booted api-1 was, each named after its host and listening on its address.</summary>
    private async Task<IReadOnlyList<string>> StartInstancesAsync(NamespaceNetwork network, IPNetwork exempt)
    {
        var apiPort = shop.Ports.ApiBase;
        var names = network.Hosts.Select((_, i) => $"netns-api-{i + 1}").ToList();
        var environment = NamespaceEnvironment(network, exempt);
        var (command, workingDirectory) = CommandOf(BootedInstance);
        var instances = network.Hosts.Select((host, i) => network.Start(host, command, new Dictionary<string, string>(environment)
        {
            ["ASPNETCORE_URLS"] = $"http://{host.Address}:{apiPort}",
            ["Shop__Service__InstanceName"] = names[i],
        }, workingDirectory, Path.Combine(shop.DataDirectory, "logs", $"{names[i]}.log"))).ToList();
        await Task.WhenAll(instances.Select((instance, i) => HealthyAsync(instance, names[i], new Uri($"http://{network.Hosts[i].Address}:{apiPort}"))));
        return names;
    }

    /// <summary>An edge of its own from the generated config: /api/ goes to the hosts; the storefront, blobs and reports stay the booted shop's.</summary>
    private Task<StandaloneEdge> StartEdgeAsync(NamespaceNetwork network)
    {
        var directory = Directory.CreateTempSubdirectory("shop-netns-edge-").FullName;
        var ports = EdgeUpstreamsDownTests.FreePorts(3);
        var layout = new EdgeLayout(ports[0], ports[1], "127.0.0.1", shop.Ports.Web, [.. network.Hosts.Select(_ => shop.Ports.ApiBase)], shop.Ports.Blobs,
            ports[2], shop.Ports.Reporting, directory, Path.Combine(directory, "tls", "edge.crt"), Path.Combine(directory, "tls", "edge.key"),
            EdgeLayout.LocalWorker, ApiHosts: [.. network.Hosts.Select(h => h.Address.ToString())]);
        return StandaloneEdge.StartAsync(layout, layout.HttpPort, layout.HttpsPort);
    }

    private static async Task TheEdgeSpreadsOverTheHostsAsync(Cluster cluster)
    {
        using var anyone = Browserlike.Client(cluster.EdgeHttp, cluster.NewShopper());
        var servedBy = new HashSet<string>();
        await Poll.UntilAsync(async () =>
        {
            using var response = await anyone.GetAsync("/api/instance");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            servedBy.Add(response.Headers.GetValues("X-Served-By").Single());
            return servedBy.Count == cluster.Instances.Count;
        }, "the edge to reach the instance on each host", TimeSpan.FromSeconds(30));
        Assert.Equal(cluster.Instances, servedBy.Order());
    }

    /// <summary>Each shopper has a count of their own, kept over both hosts, by the address the edge forwarded and never the edge's own.</summary>
    private static async Task EachShopperIsCountedByTheAddressTheEdgeForwardedAsync(Cluster cluster)
    {
        var ana = cluster.NewShopper();
        var ben = cluster.NewShopper();
        using var anaClient = Browserlike.Client(cluster.EdgeHttp, ana);
        using var benClient = Browserlike.Client(cluster.EdgeHttp, ben);
        var servedAna = new HashSet<string>();
        for (var i = 0; i < OrdersPerMinute; i++)
        {
            using var response = await PostEmptyOrderAsync(anaClient);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"Ana's order request {i + 1} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            servedAna.Add(response.Headers.GetValues("X-Served-By").Single());
            if (i == 0)
            {
                var counted = await cluster.OrderRequestsCountedAsync(ana);
                Assert.True(counted == 1, $"The instances counted {counted} order requests for Ana's address {ana}, and " +
                    $"{await cluster.OrderRequestsCountedAsync(cluster.Network.Gateway)} for the edge's own address {cluster.Network.Gateway}: they took the " +
                    "edge for the client instead of believing its X-Forwarded-For (Shop:Network:TrustedProxies names the proxies they trust).");
            }
        }
        Assert.Equal(cluster.Instances, servedAna.Order());
        using (var limited = await PostEmptyOrderAsync(anaClient))
        {
            await AssertTooManyOrdersAsync(limited);
        }
        using var bensFirst = await PostEmptyOrderAsync(benClient);
        Assert.True(bensFirst.StatusCode == HttpStatusCode.BadRequest, $"Ben's first order request answered {(int)bensFirst.StatusCode}, sharing Ana's count.");
        Assert.Equal(OrdersPerMinute + 1, await cluster.OrderRequestsCountedAsync(ana));
        Assert.Equal(1, await cluster.OrderRequestsCountedAsync(ben));
    }

    /// <summary>A caller elsewhere on the network, not the edge, cannot pass for someone else with an X-Forwarded-For of its own.</summary>
    private static async Task ForwardedHeadersAreBelievedFromTheEdgeOnlyAsync(Cluster cluster)
    {
        var forged = cluster.NewShopper();
        using var outsider = ClientFrom(cluster.Network.Outsider, cluster.Instance(0));
        using var request = EmptyOrder();
        request.Headers.Add("X-Forwarded-For", forged.ToString());
        using var response = await outsider.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(await cluster.OrderRequestsCountedAsync(forged) == 0, $"An instance believed X-Forwarded-For from {cluster.Network.Outsider}, which is not its trusted proxy.");
        Assert.True(await cluster.OrderRequestsCountedAsync(cluster.Network.Outsider) >= 1,
            $"The instance did not count the request by its caller's address {cluster.Network.Outsider}.");
    }

    /// <summary>A network in Orders:RateLimitExempt (the storefront's pods, on a cluster) exempts every address in it.</summary>
    private static async Task AnExemptNetworkIsNeitherLimitedNorCountedAsync(Cluster cluster, IPAddress exemptShopper)
    {
        using var client = Browserlike.Client(cluster.EdgeHttp, exemptShopper);
        for (var i = 0; i <= OrdersPerMinute; i++)
        {
            using var response = await PostEmptyOrderAsync(client);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest,
                $"Order request {i + 1} from {exemptShopper}, inside the exempt network {cluster.Exempt}, answered {(int)response.StatusCode}.");
        }
        Assert.Equal(0, await cluster.OrderRequestsCountedAsync(exemptShopper));
    }

    /// <summary>
    /// During a sale an order through the edge needs the waiting room's admission with its own ticket, whichever host
    /// answers; staff set the sale up over the edge's https, which the instances learn from the edge's X-Forwarded-Proto.
    /// </summary>
    private async Task AdmissionStillHoldsAsync(Cluster cluster)
    {
        await new OrderTraffic(shop).SetStockAsync([Product], 10);
        var saleId = SaleTraffic.NewSaleId();
        using var admin = Browserlike.Client(new Uri($"https://localhost:{cluster.Edge.HttpsPort}"), cluster.NewShopper());
        admin.DefaultRequestHeaders.Add("X-Admin-Key", await shop.ParameterAsync("admin-key"));
        using (var put = await admin.PutAsJsonAsync($"/api/admin/sales/{saleId}", SaleTraffic.Sale(admissionsPerMinute: 6000, maxActive: 100)))
        {
            Assert.True(put.IsSuccessStatusCode, $"Staff's sale over the edge's https: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }
        await using var sale = new SaleTraffic(shop).Ending(saleId);
        for (var i = 0; i < cluster.Instances.Count; i++)
        {
            using var direct = new HttpClient { BaseAddress = cluster.Instance(i) };
            await Poll.UntilAsync(async () => (await direct.GetFromJsonAsync<CurrentSaleDto>("/api/waitingroom/sale")) is { Enforced: true } sale
                && sale.SaleId == saleId, $"{cluster.Instances[i]} to enforce sale {saleId}");
        }
        using var shopper = Browserlike.Client(cluster.EdgeHttp, cluster.NewShopper());

        await AssertRefusedAsync(await PlaceAsync(shopper, admission: null, ticket: null), "missing");
        using var join = await SaleTraffic.JoinAsync(shopper);
        Assert.True(join.StatusCode == HttpStatusCode.OK, $"join: {(int)join.StatusCode} {await join.Content.ReadAsStringAsync()}");
        var joined = (await join.Content.ReadFromJsonAsync<WaitingStatusDto>())!;
        var admitted = await SaleTraffic.AdmittedAsync(shopper, new Waiter(joined.Ticket!, joined.Position));
        await AssertRefusedAsync(await PlaceAsync(shopper, admitted.AdmissionToken, ticket: null), "wrong_ticket");
        using var placed = await PlaceAsync(shopper, admitted.AdmissionToken, joined.Ticket);
        Assert.True(placed.StatusCode == HttpStatusCode.Accepted, $"The admitted order answered {(int)placed.StatusCode}: {await placed.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// The environment the AppHost gave the booted <see cref="BootedInstance"/>, as its process has it, for an instance on
    /// one of <paramref name="network"/>'s hosts: every endpoint it reached on loopback (the data services, the telemetry
    /// receiver) is shared on the gateway and named there; where it listens is left to each host; it trusts the edge's
    /// address alone as its proxy; and <paramref name="exempt"/> joins its order rate-limit exemptions.
    /// </summary>
    private Dictionary<string, string> NamespaceEnvironment(NamespaceNetwork network, IPNetwork exempt)
    {
        var booted = File.ReadAllText($"/proc/{shop.ServiceProcessId(BootedInstance)}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(variable => variable.Split('=', 2)).ToDictionary(v => v[0], v => v[1]);
        var shared = new SortedSet<int>();
        var environment = booted
            .Where(v => !IsListenAddress(v.Key) && !v.Key.StartsWith("Shop__Network__TrustedProxies__", StringComparison.Ordinal))
            .ToDictionary(v => v.Key, v => LoopbackEndpoint().Replace(v.Value, endpoint =>
            {
                shared.Add(int.Parse(endpoint.Groups["port"].Value));
                return $"{network.Gateway}{endpoint.Groups["separator"].Value}{endpoint.Groups["port"].Value}";
            }));
        Assert.NotEmpty(shared);
        foreach (var port in shared)
        {
            Assert.True(TestShop.IsListening(port), $"{BootedInstance}'s environment names 127.0.0.1:{port}, where nothing listens.");
            network.ShareLoopbackPort(port);
        }
        environment["Shop__Network__TrustedProxies__0"] = $"{network.Gateway}/32";
        environment[$"Orders__RateLimitExempt__{booted.Keys.Count(k => k.StartsWith("Orders__RateLimitExempt__", StringComparison.Ordinal))}"] = exempt.ToString();
        return environment;
    }

    /// <summary>Where the booted instance listens; each host's instance listens on its own address instead.</summary>
    private static bool IsListenAddress(string variable) =>
        variable is "ASPNETCORE_URLS" or "ASPNETCORE_HTTP_PORTS" or "ASPNETCORE_HTTPS_PORTS" or "DOTNET_URLS"
        || variable.StartsWith("Kestrel__Endpoints__", StringComparison.OrdinalIgnoreCase);

    /// <summary>A host and port in a URL, a host:port list or a Postgres connection string (<c>Host=…;Port=…</c>).</summary>
    [GeneratedRegex(@"(?:127\.0\.0\.1|localhost)(?<separator>:|;Port=)(?<port>\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex LoopbackEndpoint();

    /// <summary>The booted instance's command line and folder: the same build, started the same way.</summary>
    private (IReadOnlyList<string> Command, string WorkingDirectory) CommandOf(string resource)
    {
        var pid = shop.ServiceProcessId(resource);
        return (File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries),
            Directory.ResolveLinkTarget($"/proc/{pid}/cwd", returnFinalTarget: false)!.FullName);
    }

    private static async Task HealthyAsync(NamespacedProcess instance, string name, Uri address)
    {
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var last = "no answer";
        try
        {
            await Poll.UntilAsync(async () =>
            {
                Assert.False(instance.HasExited, $"{name} exited:{Environment.NewLine}{instance.Tail()}");
                try
                {
                    using var health = await probe.GetAsync("/health");
                    last = $"{(int)health.StatusCode} {await health.Content.ReadAsStringAsync()}";
                    return health.IsSuccessStatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    last = e.Message;
                    return false;
                }
            }, $"{name} at {address} to be healthy", TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last answer: {last}. Its output ({instance.LogFile}):{Environment.NewLine}{instance.Tail()}", e);
        }
    }

    /// <summary>A client whose connections come from <paramref name="source"/>, one of this machine's addresses.</summary>
    private static HttpClient ClientFrom(IPAddress source, Uri baseAddress) =>
        new(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
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

    /// <summary>Refused as invalid (nothing is written), but counted like any order request.</summary>
    private static HttpRequestMessage EmptyOrder()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        return request;
    }

    private static async Task<HttpResponseMessage> PostEmptyOrderAsync(HttpClient client)
    {
        using var request = EmptyOrder();
        return await client.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> PlaceAsync(HttpClient client, string? admission, string? ticket)
    {
        var order = new OrderRequest(Guid.NewGuid().ToString("N"), "netns@example.com", [new OrderItem(Product, 1)]);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(order.Body) };
        request.Headers.Add("Idempotency-Key", order.Key);
        if (admission is not null)
        {
            request.Headers.Add("X-Admission-Token", admission);
        }
        if (ticket is not null)
        {
            request.Headers.Add("X-Waiting-Ticket", ticket);
        }
        return await client.SendAsync(request);
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string reason)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"Expected 403 ({reason}), got {(int)response.StatusCode}: {body}");
            Assert.Equal(reason, JsonDocument.Parse(body).RootElement.GetProperty("reason").GetString());
        }
    }

    private static async Task AssertTooManyOrdersAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"Expected 429, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 and <= 60 }, $"Retry-After was {response.Headers.RetryAfter}.");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
