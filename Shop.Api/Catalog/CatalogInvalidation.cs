using Shop.ServiceDefaults.Redis;
using Microsoft.Extensions.Caching.Hybrid;
using Shop.Messaging;
using StackExchange.Redis;

namespace Shop.Api.Catalog;

/// <summary>
/// HybridCache drops a tag only in the process that asks. A staff update therefore also publishes the tags on
/// a Redis channel, and every API instance (this one included) drops them from its own memory on receipt.
/// The order workers announce the stock they changed on the same channel (<see cref="CatalogChanges"/>).
/// </summary>
/// <remarks>
/// StackExchange.Redis re-subscribes after a reconnect, but not always: a reconnect that meets Redis still loading
/// its data can leave the connection up and the subscription gone. So each instance checks it end to end: it
/// publishes a probe only it recognises, and subscribes again when the probe does not come back.
/// </remarks>
public sealed class CatalogInvalidation(IConnectionMultiplexer redis, HybridCache cache, CatalogSnapshot snapshot, ILogger<CatalogInvalidation> logger)
    : BackgroundService
{
    public static readonly RedisChannel Channel = RedisChannel.Literal(CatalogChanges.Channel);
    private const string ProbePrefix = "?probe:";

    private readonly string probe = ProbePrefix + Guid.NewGuid().ToString("N");
    private TaskCompletionSource probeReturned = NewProbe();
    private bool subscribed;

    /// <summary>How often the subscription is checked; tests shorten it.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(10);

    public async Task InvalidateAsync(IReadOnlyList<string> tags, CancellationToken cancellationToken)
    {
        Announce(snapshot, tags);
        foreach (var tag in tags)
        {
            // HybridCache drops the tag in memory first and then records it in Redis; a Redis failure there must
            // neither skip the remaining tags nor turn a committed update into a 500.
            try
            {
                await cache.RemoveByTagAsync(tag, cancellationToken);
            }
            catch (Exception e) when (RedisFailure.Is(e))
            {
                logger.LogWarning(e, "Could not record the invalidation of catalog tag {Tag} in Redis", tag);
            }
        }
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, CatalogChanges.Message(tags));
        }
        catch (Exception e) when (RedisFailure.Is(e))
        {
            // Other instances then keep their copy until it expires (at most the configured cache lifetime).
            logger.LogWarning(e, "Could not broadcast catalog invalidation of {Tags}", tags);
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Subscribed before the instance takes traffic, so it misses no update made after it is up.
        subscribed = await TrySubscribeAsync();
        redis.ConnectionRestored += OnConnectionRestored;
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ProbeInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                // The host stops on a background service's exception: a check that fails in a way not foreseen here
                // (an overloaded machine, a client in a state of its own) is retried at the next tick, never the instance's end.
                try
                {
                    if (!subscribed || !await ProbeComesBackAsync(stoppingToken))
                    {
                        subscribed = await TrySubscribeAsync();
                        if (subscribed)
                        {
                            await DropEverythingAsync();
                        }
                    }
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    subscribed = false;
                    logger.LogWarning(e, "Checking the catalog invalidation subscription failed; checking again in {Interval}", ProbeInterval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        redis.ConnectionRestored -= OnConnectionRestored;
        try
        {
            await redis.GetSubscriber().UnsubscribeAsync(Channel, OnMessage);
        }
        catch (Exception e) when (RedisFailure.Is(e))
        {
            logger.LogDebug(e, "Redis is down or too slow to end the subscription; it ends with the connection");
        }
    }

    private async Task<bool> ProbeComesBackAsync(CancellationToken stoppingToken)
    {
        probeReturned = NewProbe();
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, probe);
            await probeReturned.Task.WaitAsync(TimeSpan.FromSeconds(2), stoppingToken);
            return true;
        }
        catch (Exception e) when (RedisFailure.Is(e))
        {
            // Redis down (publish failed) or the subscription is lost (no echo): subscribe again either way.
            logger.LogWarning("Catalog invalidation subscription did not answer its probe; subscribing again");
            return false;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return true;
        }
    }

    private async Task<bool> TrySubscribeAsync()
    {
        try
        {
            // Unsubscribing first keeps exactly one handler when the library still holds the old subscription.
            var subscriber = redis.GetSubscriber();
            await subscriber.UnsubscribeAsync(Channel, OnMessage);
            await subscriber.SubscribeAsync(Channel, OnMessage);
            return true;
        }
        catch (Exception e) when (RedisFailure.Is(e))
        {
            logger.LogWarning(e, "Could not subscribe to catalog invalidations; other instances' updates are missed until Redis is back");
            return false;
        }
    }

    /// <summary>
    /// Whatever was announced while the subscription was gone (a staff update, stock an order worker took) never
    /// arrived, so nothing this instance holds can be trusted: it reads everything afresh, once.
    /// </summary>
    private async Task DropEverythingAsync()
    {
        snapshot.ChangedEverything();
        try
        {
            await cache.RemoveByTagAsync("*"); // HybridCache's reserved tag for every entry
        }
        catch (Exception e) when (RedisFailure.Is(e))
        {
            logger.LogWarning(e, "Could not record dropping every catalog entry in Redis");
        }
        logger.LogInformation("Dropped every cached catalog entry: invalidations may have been missed while the subscription was away");
    }

    /// <summary>The library subscribes again by itself after a reconnect, but what was announced while it was away is lost.</summary>
    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) =>
        DropEverythingAsync().ContinueWith(
            t => logger.LogWarning(t.Exception, "Dropping the catalog cache after a reconnect failed"), TaskContinuationOptions.OnlyOnFaulted);

    private void OnMessage(RedisChannel channel, RedisValue message)
    {
        var text = message.ToString();
        if (text.StartsWith(ProbePrefix, StringComparison.Ordinal))
        {
            if (text == probe)
            {
                probeReturned.TrySetResult();
            }
            return;
        }
        var tags = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Announce(snapshot, tags);
        cache.RemoveByTagAsync(tags).AsTask().ContinueWith(
            t => logger.LogWarning(t.Exception, "Dropping invalidated catalog entries failed"), TaskContinuationOptions.OnlyOnFaulted);
    }

    /// <summary>
    /// Tells the in-memory snapshot what the tags name: the products of item tags are read again; the lists tag on its
    /// own, or any tag it does not know, may mean anything, so everything is.
    /// </summary>
    public static void Announce(CatalogSnapshot snapshot, IReadOnlyList<string> tags)
    {
        var ids = new List<int>();
        var prefix = CatalogChanges.ItemTag(0)[..^1];
        foreach (var tag in tags)
        {
            if (tag.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(tag.AsSpan(prefix.Length), out var id))
            {
                ids.Add(id);
            }
            else if (tag != CatalogChanges.ListsTag)
            {
                snapshot.ChangedEverything();
                return;
            }
        }
        if (ids.Count == 0)
        {
            snapshot.ChangedEverything();
            return;
        }
        snapshot.Changed(ids);
    }

    private static TaskCompletionSource NewProbe() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
