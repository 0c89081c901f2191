using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Shop.Api.Catalog;
using Shop.Tests.Infrastructure;
using StackExchange.Redis;

namespace Shop.Tests.Catalog;

/// <summary>
/// An instance whose invalidation subscription is lost (as after a reconnect that met Redis loading) gets it back by
/// itself, and then drops what it cached, since the invalidations sent meanwhile never reached it.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class CatalogInvalidationTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task A_lost_subscription_is_noticed_by_its_probe_and_invalidations_arrive_again()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("redis"));
        await using var publisher = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("redis"));
        await using var services = new ServiceCollection().AddHybridCache().Services.BuildServiceProvider();
        var cache = services.GetRequiredService<HybridCache>();
        var snapshot = new CatalogSnapshot(services.GetRequiredService<IServiceScopeFactory>(), Options.Create(new CdnOptions()),
            Options.Create(new CatalogCacheOptions()), TimeProvider.System);
        var invalidation = new CatalogInvalidation(redis, cache, snapshot, NullLogger<CatalogInvalidation>.Instance)
        {
            ProbeInterval = TimeSpan.FromMilliseconds(500),
        };
        var others = await ShopRedis.InvalidationSubscribersAsync(publisher);

        var missed = $"missed-{Guid.NewGuid():N}";
        var missedVersion = 0;
        Task<int> ReadMissedAsync() => cache.GetOrCreateAsync($"item-{missed}", _ => ValueTask.FromResult(++missedVersion), tags: [missed]).AsTask();

        await invalidation.StartAsync(CancellationToken.None);
        try
        {
            Assert.Equal(others + 1, await ShopRedis.InvalidationSubscribersAsync(publisher));
            Assert.Equal(1, await ReadMissedAsync());

            // The library forgets the subscription and the server drops it, while the connection stays up.
            await redis.GetSubscriber().UnsubscribeAllAsync();
            Assert.Equal(others, await ShopRedis.InvalidationSubscribersAsync(publisher));
            // An invalidation announced meanwhile reaches nobody.
            await publisher.GetSubscriber().PublishAsync(CatalogInvalidation.Channel, missed);

            await Poll.UntilAsync(async () => await ShopRedis.InvalidationSubscribersAsync(publisher) == others + 1,
                "the lost subscription to be noticed and made again", TimeSpan.FromSeconds(10));
            // What was cached before the loss may have been announced stale meanwhile: it is read afresh.
            await Poll.UntilAsync(async () => await ReadMissedAsync() == 2, "an entry cached before the lost subscription to be dropped", TimeSpan.FromSeconds(5));
            var tag = $"probe-test-{Guid.NewGuid():N}";
            var version = 0;
            Task<int> ReadAsync() => cache.GetOrCreateAsync($"item-{tag}", _ => ValueTask.FromResult(++version), tags: [tag]).AsTask();
            Assert.Equal(1, await ReadAsync());
            await publisher.GetSubscriber().PublishAsync(CatalogInvalidation.Channel, tag);
            await Poll.UntilAsync(async () => await ReadAsync() == 2, "a published invalidation to drop the cached entry", TimeSpan.FromSeconds(5));
        }
        finally
        {
            await invalidation.StopAsync(CancellationToken.None);
        }
        Assert.Equal(others, await ShopRedis.InvalidationSubscribersAsync(publisher));
    }
}
