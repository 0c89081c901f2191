using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.ServiceDiscovery;
using Shop.Web.Orders;
using Shop.Web.Platform;

namespace Shop.UnitTests.Storefront;

/// <summary>
/// How the storefront reaches the API instances for catalog reads, orders and the current sale (issue 16 §3): no retry
/// into an instance that answered, even with a 503 or 429; an instance that cannot be reached hands the request to the
/// next one, once, nothing more. Real HTTP servers on loopback stand in for the instances.
/// </summary>
public sealed class ApiInstancesTests : IAsyncLifetime
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

    private const string AcceptedBody = """{"orderId":"6f1f8f5e-7f55-4a57-9e59-1d2a4a0b7a10","status":"Accepted","statusUrl":"/api/orders/6f1f8f5e-7f55-4a57-9e59-1d2a4a0b7a10"}""";

    [Theory]
    [InlineData(StatusCodes.Status503ServiceUnavailable)]
    [InlineData(StatusCodes.Status429TooManyRequests)]
    public async Task An_order_answered_503_or_429_is_busy_and_sent_nowhere_else(int status)
    {
        var busy = await ServeAsync(status, retryAfter: 7);
        var other = await ServeAsync(StatusCodes.Status202Accepted, body: AcceptedBody);
        using var instances = Instances(busy.Url, other.Url);
        var orders = new OrdersClient(instances);

        // Round robin: one order to each instance; the busy one's answer comes back as it is.
        var results = new List<PlaceOrderResult>();
        for (var i = 0; i < 2; i++)
        {
            results.Add(await orders.PlaceAsync(Guid.NewGuid().ToString(), "a@example.com", "A", [(1, 1)]));
        }

        Assert.Contains(new PlaceOrderResult.Busy(TimeSpan.FromSeconds(7)), results);
        Assert.Single(results.OfType<PlaceOrderResult.Accepted>());
        Assert.Equal(1, busy.Hits);
        Assert.Equal(1, other.Hits);
    }

    [Fact]
    public async Task An_order_that_cannot_be_delivered_goes_to_the_next_instance_once_with_the_same_key()
    {
        var keys = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var up = await ServeAsync(StatusCodes.Status202Accepted, body: AcceptedBody, onRequest: request => keys.Enqueue(request.Headers["Idempotency-Key"].ToString()));
        using var instances = Instances($"http://127.0.0.1:{UnusedPort()}", up.Url);
        var orders = new OrdersClient(instances);
        string[] sent = [Guid.NewGuid().ToString(), Guid.NewGuid().ToString()];

        // Round robin: one of the two starts at the instance that is not there.
        foreach (var key in sent)
        {
            Assert.IsType<PlaceOrderResult.Accepted>(await orders.PlaceAsync(key, "a@example.com", "A", [(1, 1)]));
        }

        Assert.Equal(sent, keys);
    }

    [Fact]
    public async Task A_request_cut_off_after_it_was_sent_goes_again_only_when_it_is_safe_to_repeat()
    {
        var cut = await ServeAsync(StatusCodes.Status200OK, abort: true);
        using var instances = Instances(cut.Url, cut.Url);

        // A join has no idempotency key: it may have been applied, so it is not sent again.
        await Assert.ThrowsAsync<HttpRequestException>(() => instances.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, "/api/waitingroom/join")));
        Assert.Equal(1, cut.Hits);

        // A read is: it goes to the next instance, once.
        await Assert.ThrowsAsync<HttpRequestException>(() => instances.GetAsync("/api/catalog/items/1"));
        Assert.Equal(3, cut.Hits);
    }

    private static ApiInstances Instances(params string[] urls) => Instances(urls, TimeSpan.FromSeconds(5));

    private static ApiInstances Instances(string[] urls, TimeSpan timeout)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(urls.Select((url, i) => new KeyValuePair<string, string?>($"services:api:http:{i}", url)))
            .Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddServiceDiscovery()
            .BuildServiceProvider();
        var options = Microsoft.Extensions.Options.Options.Create(new ApiOptions { Timeout = timeout });
        return new ApiInstances(services.GetRequiredService<ServiceEndpointResolver>(), options, NullLogger<ApiInstances>.Instance);
    }

    private sealed class Server(string url)
    {
        private int hits;
        public string Url => url;
        public int Hits => Volatile.Read(ref hits);
        public void Hit() => Interlocked.Increment(ref hits);
    }

    private async Task<Server> ServeAsync(int status, TimeSpan delay = default, int? retryAfter = null, string? body = null,
        Action<HttpRequest>? onRequest = null, bool abort = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        Server? server = null;
        app.Run(async context =>
        {
            server!.Hit();
            onRequest?.Invoke(context.Request);
            await Task.Delay(delay, context.RequestAborted);
            if (abort)
            {
                context.Abort();
                return;
            }
            context.Response.StatusCode = status;
            if (retryAfter is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            if (body is not null)
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(body);
            }
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
