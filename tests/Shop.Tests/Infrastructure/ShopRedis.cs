using StackExchange.Redis;

namespace Shop.Tests.Infrastructure;

/// <summary>
/// Stops and restarts the shop's Redis — both servers, <c>redis</c> (waiting room, limits, key rings) and <c>cache</c>
/// (catalog cache, carts), as one outage — and waits until every API instance really uses it again.
/// </summary>
public static class ShopRedis
{
    private static IEnumerable<(string Resource, int Port)> Servers(TestShop shop) => [("redis", shop.Ports.Redis), ("cache", shop.Ports.RedisCache)];

    public static async Task StopAsync(TestShop shop)
    {
        var commands = shop.App.Services.GetRequiredService<ResourceCommandService>();
        foreach (var (resource, port) in Servers(shop))
        {
            await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand);
            await Poll.UntilAsync(() => !TestShop.IsListening(port), $"{resource} to stop");
        }
    }

    public static async Task StartAndWaitForEveryInstanceAsync(TestShop shop)
    {
        var commands = shop.App.Services.GetRequiredService<ResourceCommandService>();
        foreach (var (resource, port) in Servers(shop))
        {
            await Poll.UntilAsync(async () =>
                (await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand)).Success || TestShop.IsListening(port),
                $"{resource} to start again");
            // The state may still say Exited from the stop when the start has just been accepted: wait through it.
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await shop.Notifications.WaitForResourceHealthyAsync(resource, WaitBehavior.WaitOnResourceUnavailable, timeout.Token);
        }

        // Catalog entries are written to the cache server; invalidations go over the other.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("cache"));
        await using var state = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("redis"));
        // Every instance, asked directly, must cache in Redis again: recovery is per process.
        for (var instance = 0; instance < TestShop.ApiInstances.Count; instance++)
        {
            using var api = new HttpClient { BaseAddress = new Uri($"http://localhost:{shop.Ports.ApiBase + instance}") };
            await Poll.UntilAsync(async () =>
            {
                // An item read that misses the instance's memory is written to Redis (searches never are). Any copy
                // from before the restart is removed first, so only a new write counts; an item the instance still
                // holds in memory writes nothing, and the next try picks another.
                var pattern = $"*catalog:item:{Random.Shared.Next(1, 5001)}";
                var server = redis.GetServers().Single();
                foreach (var stale in server.Keys(pattern: pattern))
                {
                    await redis.GetDatabase().KeyDeleteAsync(stale);
                }
                using var response = await api.GetAsync($"/api/catalog/items/{pattern[(pattern.LastIndexOf(':') + 1)..]}");
                response.EnsureSuccessStatusCode();
                return server.Keys(pattern: pattern).Any();
            }, $"{TestShop.ApiInstances[instance]} to write to Redis again");
        }
        // Staff updates reach other instances over pub/sub: every instance must have re-subscribed too.
        await Poll.UntilAsync(async () => await InvalidationSubscribersAsync(state) == TestShop.ApiInstances.Count,
            "every API instance to re-subscribe to catalog invalidations");
    }

    public static async Task<long> InvalidationSubscribersAsync(IConnectionMultiplexer redis)
    {
        var reply = await redis.GetServers().Single().ExecuteAsync("PUBSUB", "NUMSUB", "shop:catalog:invalidate");
        return (long)((RedisResult[])reply!)[1];
    }
}
