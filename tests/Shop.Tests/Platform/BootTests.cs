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
            Assert.Equal(KnownResourceStates.Running, state.Snapshot.State?.Text);
            Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, state.Snapshot.HealthStatus);
        }

        Assert.True(shop.Notifications.TryGetCurrentState("migrations", out var migrations));
        Assert.Equal(0, migrations.Snapshot.ExitCode);
    }
}
