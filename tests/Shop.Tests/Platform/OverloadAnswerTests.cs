using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Platform;

/// <summary>
/// Overload is a queue, never a failure (issue 16 §3): an instance that answers 503 because it is busy has answered.
/// The edge keeps it in rotation and passes its 503 on, and the storefront shows it as a busy page; neither asks another
/// instance in its place (which would multiply the load exactly when the shop is overloaded). api-2 is stopped and a
/// real HTTP server that answers every request 503 takes its port, so the real edge and storefront talk to it.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class OverloadAnswerTests(ShopFixture fixture)
{
    private const string ServedBy = "X-Served-By";
    private const string StandInName = "busy-stand-in";
    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task The_edge_keeps_an_instance_that_answers_503_in_rotation_and_passes_its_503_on_unretried()
    {
        using var edge = shop.EdgeClient();
        await WithBusyStandInAsync(async standIn =>
        {
            var answers = new List<(HttpStatusCode Status, string? ServedBy)>();
            for (var i = 0; i < 30; i++)
            {
                foreach (var path in new[] { "/api/instance", "/api/catalog/categories" })
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, path);
                    // Past the edge's micro-cache, so every catalog read reaches an instance.
                    request.Headers.TryAddWithoutValidation("Authorization", "Bearer none");
                    using var response = await edge.SendAsync(request);
                    answers.Add((response.StatusCode, response.Headers.TryGetValues(ServedBy, out var names) ? names.Single() : null));
                }
            }

            var fromStandIn = answers.Count(a => a.ServedBy == StandInName);
            // In rotation: one request in three, not once and then left out for fail_timeout.
            Assert.True(standIn.Hits >= 10, $"The busy instance was asked {standIn.Hits} time(s) in {answers.Count} requests.");
            // Not retried: every request it was asked answered with its own 503, none was answered by another instance instead.
            Assert.Equal(standIn.Hits, fromStandIn);
            Assert.All(answers.Where(a => a.ServedBy == StandInName), a => Assert.Equal(HttpStatusCode.ServiceUnavailable, a.Status));
            Assert.All(answers.Where(a => a.ServedBy != StandInName), a => Assert.Equal(HttpStatusCode.OK, a.Status));
        }, afterStandIn: async () =>
        {
            // Gone (connection refused): still avoided, every request answered by the instances that are there.
            for (var i = 0; i < 30; i++)
            {
                using var response = await edge.GetAsync("/api/instance");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Contains(response.Headers.GetValues(ServedBy).Single(), new[] { "api-1", "api-3" });
            }
        });
    }

    [Fact]
    public async Task The_storefront_shows_an_instances_503_as_a_busy_page_and_asks_no_other_instance()
    {
        using var storefront = new HttpClient { BaseAddress = new Uri($"http://localhost:{shop.Ports.Web}") };
        await WithBusyStandInAsync(async standIn =>
        {
            var pages = new List<(Guid OrderId, HttpStatusCode Status)>();
            for (var i = 0; i < 30; i++)
            {
                var orderId = Guid.NewGuid();
                using var response = await storefront.GetAsync($"/orders/{orderId}");
                pages.Add((orderId, response.StatusCode));
            }

            var asked = pages.Where(p => standIn.Paths.Contains($"/api/orders/{p.OrderId}")).ToList();
            // Round robin straight to the instances: about one page in three asks the busy one.
            Assert.True(asked.Count >= 5, $"The busy instance was asked for {asked.Count} of 30 orders.");
            // Each at most once, and its 503 is the page's answer: no other instance was asked in its place.
            Assert.All(pages, p => Assert.True(standIn.Paths.Count(path => path == $"/api/orders/{p.OrderId}") <= 1, $"Order {p.OrderId} was asked for more than once."));
            Assert.All(asked, p => Assert.Equal(HttpStatusCode.ServiceUnavailable, p.Status));
            Assert.All(pages.Except(asked), p => Assert.NotEqual(HttpStatusCode.ServiceUnavailable, p.Status));
        });
    }

    /// <summary>Stops api-2, serves its port with a server that answers 503 to everything, then puts api-2 back.</summary>
    private async Task WithBusyStandInAsync(Func<BusyStandIn, Task> test, Func<Task>? afterStandIn = null)
    {
        var port = shop.Ports.ApiBase + 1;
        try
        {
            await shop.StopAsync("api-2");
            await Poll.UntilAsync(() => !TestShop.IsListening(port), "api-2 to stop listening");
            await using (var standIn = await BusyStandIn.StartAsync(port))
            {
                await test(standIn);
            }
            if (afterStandIn is not null)
            {
                await afterStandIn();
            }
        }
        finally
        {
            await shop.StartAgainAsync("api-2");
        }
    }

    private sealed class BusyStandIn(WebApplication app) : IAsyncDisposable
    {
        private readonly ConcurrentQueue<string> paths = new();
        public IReadOnlyCollection<string> Paths => paths;
        public int Hits => paths.Count;

        public static async Task<BusyStandIn> StartAsync(int port)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            var app = builder.Build();
            var standIn = new BusyStandIn(app);
            app.Run(async context =>
            {
                standIn.paths.Enqueue(context.Request.Path.Value ?? "");
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "1";
                context.Response.Headers[ServedBy] = StandInName;
                context.Response.ContentType = "application/problem+json";
                await context.Response.WriteAsync("""{"title":"Busy","status":503,"detail":"Too many requests at once; try again in a second."}""");
            });
            await app.StartAsync();
            return standIn;
        }

        public ValueTask DisposeAsync() => app.DisposeAsync();
    }
}
