using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.ServiceDiscovery;
using Shop.Web.Catalog;

namespace Shop.Tests.Storefront;

/// <summary>
/// How the storefront reaches the API instances for catalog reads (issue 16 §3): no retry into an instance that
/// answered, even with a 503; an instance that cannot be reached hands the read to the next one, once, nothing more.
/// Real HTTP servers on loopback stand in for the instances.
/// </summary>
public sealed class CatalogApiInstancesTests : IAsyncLifetime
{
    private readonly List<WebApplication> servers = [];

    [Fact]
    public async Task An_instance_that_answers_503_is_not_asked_again_and_no_other_instance_is_asked()
    {
        var busy = await ServeAsync(StatusCodes.Status503ServiceUnavailable);
        var other = await ServeAsync(StatusCodes.Status200OK);
        using var instances = Instances(busy.Url, other.Url);

        // Round robin: two reads, one to each; the 503 comes back as it is.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await instances.GetAsync("/api/catalog/items/1");
            statuses.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.ServiceUnavailable, statuses);
        Assert.Equal(1, busy.Hits);
        Assert.Equal(1, other.Hits);
    }

    [Fact]
    public async Task A_read_from_an_instance_that_cannot_be_reached_goes_to_the_next_instance_once()
    {
        var up = await ServeAsync(StatusCodes.Status200OK);
        using var instances = Instances($"http://127.0.0.1:{UnusedPort()}", up.Url);

        for (var i = 0; i < 4; i++)
        {
            using var response = await instances.GetAsync("/api/catalog/items/1");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(4, up.Hits);
    }

    [Fact]
    public async Task When_no_instance_can_be_reached_the_read_fails_after_two_attempts_for_the_busy_page()
    {
        using var instances = Instances($"http://127.0.0.1:{UnusedPort()}", $"http://127.0.0.1:{UnusedPort()}", $"http://127.0.0.1:{UnusedPort()}");

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => instances.GetAsync("/api/catalog/items/1"));

        Assert.Equal(HttpRequestError.ConnectionError, failure.HttpRequestError);
    }

    [Fact]
    public async Task A_slow_instance_is_given_up_on_after_the_timeout_and_not_asked_again()
    {
        var slow = await ServeAsync(StatusCodes.Status200OK, delay: TimeSpan.FromSeconds(30));
        using var instances = Instances([slow.Url, slow.Url], timeout: TimeSpan.FromMilliseconds(300));

        var failure = await Assert.ThrowsAnyAsync<TaskCanceledException>(() => instances.GetAsync("/api/catalog/items/1"));

        Assert.IsType<TimeoutException>(failure.InnerException);
        Assert.Equal(1, slow.Hits);
    }

    private static CatalogApiInstances Instances(params string[] urls) => Instances(urls, TimeSpan.FromSeconds(5));

    private static CatalogApiInstances Instances(string[] urls, TimeSpan timeout)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(urls.Select((url, i) => new KeyValuePair<string, string?>($"services:api:http:{i}", url)))
            .Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddServiceDiscovery()
            .BuildServiceProvider();
        var options = Microsoft.Extensions.Options.Options.Create(new CatalogReadOptions { Timeout = timeout });
        return new CatalogApiInstances(services.GetRequiredService<ServiceEndpointResolver>(), options, NullLogger<CatalogApiInstances>.Instance);
    }

    private sealed class Server(string url)
    {
        private int hits;
        public string Url => url;
        public int Hits => Volatile.Read(ref hits);
        public void Hit() => Interlocked.Increment(ref hits);
    }

    private async Task<Server> ServeAsync(int status, TimeSpan delay = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        Server? server = null;
        app.Run(async context =>
        {
            server!.Hit();
            await Task.Delay(delay, context.RequestAborted);
            context.Response.StatusCode = status;
        });
        await app.StartAsync();
        servers.Add(app);
        server = new Server(app.Urls.Single());
        return server;
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var server in servers)
        {
            await server.DisposeAsync();
        }
    }
}
