using Npgsql;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Platform;

[Collection(ShopCollection.Name)]
public sealed class BootTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task Every_resource_is_healthy_and_migrations_completed_successfully()
    {
        foreach (var resource in TestShop.LongRunningResources)
        {
            Assert.True(shop.Notifications.TryGetCurrentState(resource, out var state), $"{resource} has no state");
            Assert.True(state.Snapshot.State?.Text == KnownResourceStates.Running && state.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy,
                $"{resource} is {state.Snapshot.State?.Text}, {state.Snapshot.HealthStatus}");
        }

        Assert.True(shop.Notifications.TryGetCurrentState("migrations", out var migrations));
        Assert.Equal(0, migrations.Snapshot.ExitCode);
    }

    [Fact]
    public void No_port_the_shop_listens_on_can_be_given_to_an_outgoing_connection()
    {
        var range = Shop.AppHost.Local.EphemeralPorts.ParseRange(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range"));
        var reserved = Shop.AppHost.Local.EphemeralPorts.ParseList(File.ReadAllText("/proc/sys/net/ipv4/ip_local_reserved_ports"));
        var exposed = Shop.AppHost.Local.EphemeralPorts.Exposed(shop.Ports.All, range, reserved);

        Assert.True(exposed.Count == 0, $"Ports {string.Join(", ", exposed)} lie in the ephemeral range {range} and are not reserved.");
    }

    [Fact]
    public void The_load_test_is_a_dashboard_resource_that_waits_for_someone_to_start_it()
    {
        var loadTest = shop.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ProjectResource>()
            .Single(r => r.Name == "loadtest");
        Assert.Contains(loadTest.Annotations, a => a is ExplicitStartupAnnotation);

        // Well after boot: still not started, so no sale was opened and no shopper arrived.
        Assert.True(shop.Notifications.TryGetCurrentState("loadtest", out var state), "loadtest has no state");
        Assert.Equal(KnownResourceStates.NotStarted, state.Snapshot.State?.Text);
        Assert.Null(state.Snapshot.ExitCode);
    }

    [Fact]
    public async Task Migrations_created_the_schema_on_the_primary_with_the_no_oversell_constraint()
    {
        await using var primary = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));

        var applied = await primary.CreateCommand("SELECT count(*) FROM \"__EFMigrationsHistory\"").ExecuteScalarAsync();
        var constraint = await primary.CreateCommand(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'ck_products_stock_non_negative'").ExecuteScalarAsync();

        Assert.True((long)applied! >= 1);
        Assert.Equal("CHECK ((stock >= 0))", constraint);
    }
}
