using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Shop.UnitTests.ServiceDefaults;

public sealed class ServiceDefaultsTests
{
    [Fact]
    public async Task Default_http_client_asks_a_service_that_answered_503_once_GET_and_POST_alike()
    {
        var hits = new ConcurrentDictionary<string, int>();
        await using var server = await StartAlwaysUnavailableServerAsync(hits);
        using var host = BuildHost([]);
        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient();

        // Enough calls to open a circuit breaker, were there one: every call still reaches the service.
        for (var i = 0; i < 12; i++)
        {
            using var get = await client.GetAsync(server.Urls.Single());
            Assert.Equal(503, (int)get.StatusCode);
        }
        using var post = await client.PostAsync(server.Urls.Single(), new StringContent("{}"));

        Assert.Equal(503, (int)post.StatusCode);
        Assert.Equal(1, hits["POST"]);
        Assert.Equal(12, hits["GET"]);
    }

    [Fact]
    public async Task Invalid_service_options_stop_the_service_at_start()
    {
        using var host = BuildHost([new("Shop:Service:InstanceName", "Not a resource name!")]);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Shop:Service:InstanceName", error.Message);
    }

    [Fact]
    public async Task A_health_check_that_blocks_and_ignores_its_timeout_is_reported_as_failing_instead_of_hanging_the_probe()
    {
        using var release = new ManualResetEventSlim();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults();
        builder.Services.AddHealthChecks()
            .Add(new HealthCheckRegistration("blocking-check", _ => new BlockingCheck(release), null, null, TimeSpan.FromSeconds(1)))
            .Add(new HealthCheckRegistration("blocking-factory", _ => { release.Wait(); return new BlockingCheck(release); }, null, null, TimeSpan.FromSeconds(1)));
        using var host = builder.Build();

        // The guard only keeps a broken build from hanging the suite; the checks themselves never return.
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync().WaitAsync(TimeSpan.FromSeconds(30));
        release.Set();

        Assert.Equal(HealthStatus.Unhealthy, report.Entries["blocking-check"].Status);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["blocking-factory"].Status);
        Assert.Equal(HealthStatus.Healthy, report.Entries["self"].Status);
        var registrations = host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;
        Assert.Equal(TimeSpan.FromSeconds(10), registrations.Single(r => r.Name == "self").Timeout);
    }

    private sealed class BlockingCheck(ManualResetEventSlim release) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            release.Wait(); // like a library that blocks on I/O and never looks at the token
            return Task.FromResult(HealthCheckResult.Healthy());
        }
    }

    private static IHost BuildHost(KeyValuePair<string, string?>[] settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        return builder.Build();
    }

    private static async Task<WebApplication> StartAlwaysUnavailableServerAsync(ConcurrentDictionary<string, int> hits)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Run(context =>
        {
            hits.AddOrUpdate(context.Request.Method, 1, (_, n) => n + 1);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "0"; // were there retries, they would not wait
            return Task.CompletedTask;
        });
        await app.StartAsync();
        return app;
    }
}
