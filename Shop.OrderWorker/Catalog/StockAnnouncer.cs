using Shop.ServiceDefaults.Redis;
using System.Threading.Channels;
using Shop.Messaging;
using Shop.OrderWorker.Orders;
using StackExchange.Redis;

namespace Shop.OrderWorker.Catalog;

/// <summary>
/// Tells the API instances' catalog caches which products' stock the worker changed, once each transaction has
/// committed: one message on the channel staff updates use. Orders never wait for it and never need Redis: it sends
/// on its own loop, changes committed meanwhile go out together in the next message, and while Redis is away they
/// are kept and sent once it answers again.
/// </summary>
public sealed class StockAnnouncer(IConnectionMultiplexer redis, ILogger<StockAnnouncer> logger) : BackgroundService
{
    private static readonly RedisChannel Invalidations = RedisChannel.Literal(CatalogChanges.Channel);
    // While Redis does not answer, the changes are tried again this often.
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    private readonly Lock gate = new();
    private readonly Channel<bool> pending = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private HashSet<int> changed = [];
    private bool availabilityChanged;
    private bool failing;

    /// <summary>Call after the commit only: an API instance that reloads on the message must read the new stock.</summary>
    public void Announce(AppliedBatch batch)
    {
        if (batch.StockChanged.Count == 0)
        {
            return;
        }
        lock (gate)
        {
            changed.UnionWith(batch.StockChanged);
            availabilityChanged |= batch.SoldOut.Count > 0;
        }
        pending.Writer.TryWrite(true);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await pending.Reader.WaitToReadAsync(stoppingToken))
            {
                pending.Reader.TryRead(out _);
                if (!await TrySendAsync())
                {
                    await Task.Delay(RetryInterval, stoppingToken);
                    pending.Writer.TryWrite(true);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The last transactions' changes, once, so a stopping worker does not leave them to the cache's expiry.
            await TrySendAsync();
        }
    }

    private async Task<bool> TrySendAsync()
    {
        HashSet<int> products;
        bool lists;
        lock (gate)
        {
            (products, lists) = (changed, availabilityChanged);
            (changed, availabilityChanged) = ([], false);
        }
        if (products.Count == 0)
        {
            return true;
        }
        try
        {
            await redis.GetSubscriber().PublishAsync(Invalidations, CatalogChanges.Message(CatalogChanges.Tags(products, lists)));
            if (failing)
            {
                failing = false;
                logger.LogInformation("Redis answers again: announced the stock of {Count} product(s) changed meanwhile", products.Count);
            }
            return true;
        }
        catch (Exception e) when (RedisFailure.Is(e))
        {
            lock (gate)
            {
                changed.UnionWith(products);
                availabilityChanged |= lists;
            }
            if (!failing)
            {
                failing = true;
                logger.LogWarning(e, "Could not announce stock changes to the catalog caches; keeping them until Redis answers");
            }
            return false;
        }
    }
}
