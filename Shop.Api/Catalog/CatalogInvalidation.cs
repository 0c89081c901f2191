using Microsoft.Extensions.Caching.Hybrid;
using StackExchange.Redis;

namespace Shop.Api.Catalog;

/// <summary>
/// HybridCache drops a tag only in the process that asks. A staff update therefore also publishes the tags on
/// a Redis channel, and every API instance (this one included) drops them from its own memory on receipt.
/// </summary>
public sealed class CatalogInvalidation(IConnectionMultiplexer redis, HybridCache cache, ILogger<CatalogInvalidation> logger) : IHostedService
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("shop:catalog:invalidate");

    public async Task InvalidateAsync(IReadOnlyList<string> tags, CancellationToken cancellationToken)
    {
        foreach (var tag in tags)
        {
            // HybridCache drops the tag in memory first and then records it in Redis; a Redis failure there must
            // neither skip the remaining tags nor turn a committed update into a 500.
            try
            {
                await cache.RemoveByTagAsync(tag, cancellationToken);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogWarning(e, "Could not record the invalidation of catalog tag {Tag} in Redis", tag);
            }
        }
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, string.Join('\n', tags));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Other instances then keep their copy until it expires (at most the configured cache lifetime).
            logger.LogWarning(e, "Could not broadcast catalog invalidation of {Tags}", tags);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // StackExchange.Redis re-subscribes by itself after a reconnect.
        try
        {
            await SubscribeAsync();
        }
        catch (RedisException e)
        {
            logger.LogWarning(e, "Redis is down at start; catalog invalidations from other instances will be missed until it is back");
        }
    }

    private Task SubscribeAsync() =>
        redis.GetSubscriber().SubscribeAsync(Channel, (_, message) =>
        {
            var tags = message.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            cache.RemoveByTagAsync(tags).AsTask().ContinueWith(
                t => logger.LogWarning(t.Exception, "Dropping invalidated catalog entries failed"), TaskContinuationOptions.OnlyOnFaulted);
        });

    public Task StopAsync(CancellationToken cancellationToken) => redis.GetSubscriber().UnsubscribeAsync(Channel);
}
