using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Shop.AppHost.Edge;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Hardening;

/// <summary>
/// The edge's TLS policy (Mozilla "intermediate") on both https entrances, judged by the openssl client, which can be
/// told to offer exactly one protocol and, at security level 0, the old ones this machine's OpenSSL refuses by default.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class EdgeTlsTests(ShopFixture fixture)
{
    /// <summary>Lets this OpenSSL offer TLS 1.0/1.1 and their SHA-1 suites at all, so a refusal is the server's.</summary>
    private const string AnyCipher = "DEFAULT@SECLEVEL=0";

    private readonly TestShop shop = fixture.Shop;

    private int[] HttpsPorts => [shop.Ports.EdgeHttps, shop.Ports.StaffHttps];

    [Fact]
    public async Task Both_https_entrances_handshake_with_TLS_1_3_and_1_2()
    {
        foreach (var port in HttpsPorts)
        {
            var tls13 = await HandshakeAsync(port, "-tls1_3");
            Assert.True(tls13.Protocol == "TLSv1.3", $"Port {port} with TLS 1.3: {tls13.Output}");
            var tls12 = await HandshakeAsync(port, "-tls1_2");
            Assert.True(tls12.Protocol == "TLSv1.2", $"Port {port} with TLS 1.2: {tls12.Output}");
            Assert.StartsWith("ECDHE-", tls12.Cipher);
        }
    }

    [Fact]
    public async Task Both_https_entrances_refuse_TLS_1_0_and_1_1_from_a_client_that_offers_them()
    {
        // The same client handshakes with an openssl server that does accept TLS 1.1: a refusal below is the edge's.
        Assert.Equal("TLSv1.1", await AcceptingServerProtocolAsync("-tls1_1"));

        foreach (var port in HttpsPorts)
        {
            foreach (var protocol in new[] { "-tls1", "-tls1_1" })
            {
                var handshake = await HandshakeAsync(port, protocol, "-cipher", AnyCipher);
                Assert.True(handshake.Protocol is null, $"Port {port} accepted {protocol}: {handshake.Output}");
            }
        }
    }

    [Fact]
    public async Task Both_https_entrances_refuse_TLS_1_2_suites_without_forward_secrecy_or_AEAD()
    {
        foreach (var port in HttpsPorts)
        {
            // Static RSA key exchange, and ECDHE with CBC: both outside the profile, both in OpenSSL's default list.
            foreach (var cipher in new[] { "AES128-SHA", "AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA" })
            {
                var handshake = await HandshakeAsync(port, "-tls1_2", "-cipher", $"{cipher}:@SECLEVEL=0");
                Assert.True(handshake.Protocol is null, $"Port {port} accepted {cipher}: {handshake.Output}");
            }
        }
    }

    [Fact]
    public async Task Both_https_entrances_resume_sessions_from_their_cache_without_tickets()
    {
        foreach (var port in HttpsPorts)
        {
            var handshake = await HandshakeAsync(port, "-tls1_2", "-no_ticket", "-reconnect");
            Assert.True(handshake.Output.Contains("Reused, TLSv1.2", StringComparison.Ordinal), $"Port {port} did not resume a session: {handshake.Output}");
        }
    }

    [Fact]
    public void The_edge_states_the_same_tls_policy_in_every_https_server()
    {
        var config = EdgeConfig.Generate(new EdgeLayout(8080, 8443, "127.0.0.1", 5200, [5301], 10000, 8444, 8090, "/tmp/edge", "c.pem", "k.pem", WorkerUser: null));

        // Stated once at http level, so no server can differ; no server overrides it.
        foreach (var line in new[]
        {
            "ssl_protocols TLSv1.2 TLSv1.3;", $"ssl_ciphers {EdgeConfig.TlsCiphers};", "ssl_prefer_server_ciphers off;",
            "ssl_session_tickets off;", "ssl_session_cache shared:TLS:10m;", "ssl_session_timeout 1d;",
        })
        {
            Assert.Equal(1, config.Split(line).Length - 1);
            Assert.True(config.IndexOf(line, StringComparison.Ordinal) < config.IndexOf("server {", StringComparison.Ordinal), $"{line} is not at http level.");
        }
    }

    private sealed record Handshake(string? Protocol, string? Cipher, string Output);

    private static async Task<Handshake> HandshakeAsync(int port, params string[] options)
    {
        var output = await RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", .. options]);
        // "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" after a handshake, "New, (NONE), Cipher is (NONE)" after a
        // refusal; "New" names the suite's own version, the session's "Protocol  : TLSv1.1" the one agreed.
        var lines = output.Split('\n').Select(l => l.Trim()).ToList();
        var agreed = lines.FirstOrDefault(l => l.StartsWith("New, ", StringComparison.Ordinal) && !l.Contains("(NONE)", StringComparison.Ordinal));
        var protocol = lines.FirstOrDefault(l => l.StartsWith("Protocol  :", StringComparison.Ordinal));
        // TLS 1.3 sessions arrive after the handshake, so a client that leaves at once prints no session: its suites are 1.3's alone.
        return agreed is null
            ? new(null, null, output)
            : new(protocol?["Protocol  :".Length..].Trim() ?? agreed.Split(", ")[1], agreed[(agreed.IndexOf("Cipher is ", StringComparison.Ordinal) + "Cipher is ".Length)..], output);
    }

    /// <summary>The protocol the test's client agrees with an openssl server that accepts only <paramref name="protocol"/>.</summary>
    private static async Task<string?> AcceptingServerProtocolAsync(string protocol)
    {
        var directory = Directory.CreateTempSubdirectory("shop-tls-").FullName;
        var certificate = Path.Combine(directory, "c.pem");
        var key = Path.Combine(directory, "k.pem");
        EdgeCertificate.EnsureExists(certificate, key);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var server = Process.Start(new ProcessStartInfo("openssl",
            ["s_server", "-accept", $"127.0.0.1:{port}", "-cert", certificate, "-key", key, protocol, "-cipher", AnyCipher, "-www"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            await Poll.UntilAsync(() => server.HasExited || TestShop.IsListening(port), "openssl s_server to listen", TimeSpan.FromSeconds(10));
            return (await HandshakeAsync(port, protocol, "-cipher", AnyCipher)).Protocol;
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<string> RunAsync(string command, string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);
        return await stdout + await stderr;
    }
}
