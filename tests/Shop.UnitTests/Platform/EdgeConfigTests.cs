using Shop.AppHost.Edge;

namespace Shop.UnitTests.Platform;

/// <summary>The nginx configuration the AppHost writes for the edge, read as text: no nginx is started.</summary>
public sealed class EdgeConfigTests
{
    private static EdgeLayout Layout(bool redirect = false, int? publicHttpsPort = null, IReadOnlyList<string>? apiHosts = null) =>
        new(8080, 8443, "127.0.0.1", 5200, [5301, 5302, 5303], 10000, 8444, 8090, "/state", "/tls/edge.crt", "/tls/edge.key", WorkerUser: null,
            RedirectHttpToHttps: redirect, PublicHttpsPort: publicHttpsPort, ApiHosts: apiHosts);

    [Fact]
    public void Every_API_instance_is_a_server_of_the_api_upstream_taken_out_after_one_failed_attempt()
    {
        var config = EdgeConfig.Generate(Layout());

        foreach (var port in new[] { 5301, 5302, 5303 })
        {
            Assert.Contains($"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;", config);
        }
    }

    [Fact]
    public void Each_API_instance_may_have_a_host_of_its_own()
    {
        var config = EdgeConfig.Generate(Layout(apiHosts: ["a", "b", "c"]));

        Assert.Contains("server a:5301 ", config);
        Assert.Contains("server c:5303 ", config);
    }

    [Fact]
    public void A_host_list_that_does_not_match_the_ports_is_refused() =>
        Assert.Throws<ArgumentException>(() => EdgeConfig.Generate(Layout(apiHosts: ["a"])));

    [Fact]
    public void The_edge_listens_on_its_http_and_https_ports_with_the_long_backlog()
    {
        var config = EdgeConfig.Generate(Layout());

        Assert.Contains($"listen 8080 backlog={EdgeConfig.ListenBacklog};", config);
        Assert.Contains($"listen 8443 ssl http2 backlog={EdgeConfig.ListenBacklog};", config);
        Assert.DoesNotContain("user ", config.Split('\n')[0]);
    }

    [Fact]
    public void Http_is_redirected_to_https_only_when_asked_and_never_for_admin_calls_or_the_health_check()
    {
        Assert.DoesNotContain("return 308", EdgeConfig.Generate(Layout()));

        var config = EdgeConfig.Generate(Layout(redirect: true));

        Assert.Contains("return 308 https://$host:8443$request_uri;", config);
        Assert.Contains("\"~^http:/api/admin/\"  0;", config);
        Assert.Contains($"\"http:{EdgeConfig.HealthPath}\" 0;", config);
    }

    [Fact]
    public void The_redirect_names_no_port_when_the_public_https_port_is_443() =>
        Assert.Contains("return 308 https://$host$request_uri;", EdgeConfig.Generate(Layout(redirect: true, publicHttpsPort: 443)));
}
