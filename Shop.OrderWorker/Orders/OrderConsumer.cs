using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Shop.Messaging;
using Shop.OrderWorker.Catalog;

namespace Shop.OrderWorker.Orders;

/// <summary>
/// Takes orders off the queue in batches and acknowledges each one only after the transaction that applied it has
/// committed. Database outages are waited out (the messages stay unacknowledged, never dead-lettered); a message that
/// cannot be parsed, or keeps failing while the database is up, goes to the dead-letter queue.
/// </summary>
public sealed class OrderConsumer(
    IServiceProvider services, OrderApplier applier, StockAnnouncer announcer, IOptions<OrderWorkerOptions> options, IMeterFactory meters,
    ILogger<OrderConsumer> logger)
    : BackgroundService
{
    private sealed record Delivery(ulong Tag, ReadOnlyMemory<byte> Body, ActivityContext Trace, DateTimeOffset ReceivedAt);

    private sealed record Instruments(Counter<long> Applied, Counter<long> DeadLettered, Histogram<double> ApplyLag);

    private readonly Channel<Delivery> inbox = Channel.CreateUnbounded<Delivery>(new() { SingleReader = true });
    private readonly Meter meter = meters.Create("Shop.OrderWorker");
    private IChannel channel = null!;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var applied = meter.CreateCounter<long>("shop.orders.applied", description: "Orders settled by this worker, by status");
        var deadLettered = meter.CreateCounter<long>("shop.orders.dead_lettered", description: "Messages moved to the dead-letter queue");
        var batchSize = meter.CreateHistogram<int>("shop.orders.batch_size", description: "Orders per applying transaction");
        var instruments = new Instruments(applied, deadLettered, meter.CreateHistogram<double>("shop.orders.apply_lag", unit: "s",
            description: "From the order's acceptance by the API to the commit of the transaction that applied it",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300] }));

        channel = await OpenChannelAsync(stoppingToken);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            // The body buffer belongs to the client library only during this callback.
            inbox.Writer.TryWrite(new Delivery(delivery.DeliveryTag, delivery.Body.ToArray(), OrderTracing.ContextOf(delivery), DateTimeOffset.UtcNow));
            return Task.CompletedTask;
        };
        var consumerTag = await channel.BasicConsumeAsync(OrderQueue.Name, autoAck: false, consumer, stoppingToken);
        logger.LogInformation("Consuming {Queue} with prefetch {Prefetch}, batches of up to {MaxBatch}", OrderQueue.Name, options.Value.Prefetch, options.Value.MaxBatch);

        var batch = new List<(Delivery Delivery, OrderMessage Order)>();
        try
        {
            while (await inbox.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < options.Value.MaxBatch && inbox.Reader.TryRead(out var delivery))
                {
                    if (OrderMessage.TryParse(delivery.Body, out var problem) is { } order)
                    {
                        batch.Add((delivery, order));
                    }
                    else
                    {
                        logger.LogError("Dead-lettering message {Tag}: {Problem}", delivery.Tag, problem);
                        await SettleAsync(delivery.Tag, ack: false);
                        OrderTracing.RecordOrder(delivery.Trace, delivery.ReceivedAt, Guid.Empty, OrderTracing.DeadLettered, transaction: null);
                        deadLettered.Add(1, new KeyValuePair<string, object?>("reason", "unreadable"));
                    }
                }
                if (batch.Count > 0)
                {
                    batchSize.Record(batch.Count);
                    await ApplyAsync(batch, instruments, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await StopConsumingAsync(consumerTag);
        }
    }

    private async Task ApplyAsync(List<(Delivery Delivery, OrderMessage Order)> batch, Instruments instruments, CancellationToken stoppingToken)
    {
        var outage = 0;
        for (var attempt = 1; ; attempt++)
        {
            Exception failure;
            var transaction = OrderTracing.StartTransaction(batch.Select(b => b.Delivery.Trace).ToList());
            try
            {
                // Not cancelled by a stop request: a transaction that has started is allowed to finish and be acked.
                var applied = await applier.ApplyAsync(batch.Select(b => b.Order).ToList(), CancellationToken.None);
                transaction?.Stop();
                announcer.Announce(applied);
                Record(batch, applied.Outcomes, instruments, transaction);
                // One ack for the batch: the deliveries come in tag order and every one before this batch's first
                // was settled already, so "all up to the last" is exactly this batch.
                await SettleAsync(batch[^1].Delivery.Tag, ack: true, multiple: batch.Count > 1);
                return;
            }
            catch (Exception e)
            {
                failure = e;
                transaction?.AddException(e).SetStatus(ActivityStatusCode.Error);
            }
            finally
            {
                transaction?.Dispose();
            }

            if (OrderApplier.IsTransient(failure) || !await applier.DatabaseIsUpAsync(CancellationToken.None))
            {
                logger.LogWarning(failure, "Applying {Count} orders failed while the database was away; retrying", batch.Count);
                attempt = 0; // Outages do not count against the messages,
                outage++;    // but the waits between tries grow while one lasts.
            }
            else if (batch.Count > 1)
            {
                // One bad order must not hold up the others: apply them one by one to find it.
                logger.LogWarning(failure, "A batch of {Count} orders failed; applying them one at a time", batch.Count);
                foreach (var single in batch.ToList())
                {
                    await ApplyAsync([single], instruments, stoppingToken);
                }
                return;
            }
            else if (attempt >= options.Value.MaxAttempts)
            {
                logger.LogError(failure, "Order {OrderId} failed {Attempts} times; dead-lettering it", batch[0].Order.OrderId, attempt);
                await SettleAsync(batch[0].Delivery.Tag, ack: false);
                instruments.DeadLettered.Add(1, new KeyValuePair<string, object?>("reason", "failing"));
                OrderTracing.RecordOrder(batch[0].Delivery.Trace, batch[0].Delivery.ReceivedAt, batch[0].Order.OrderId, OrderTracing.DeadLettered, transaction: null);
                return;
            }
            else
            {
                logger.LogWarning(failure, "Order {OrderId} failed (attempt {Attempt} of {Max})", batch[0].Order.OrderId, attempt, options.Value.MaxAttempts);
            }

            try
            {
                await Task.Delay(Backoff(Math.Max(attempt, outage)), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                // Stopping while the database is away: hand the messages back for the next worker.
                foreach (var (delivery, _) in batch)
                {
                    await ReleaseAsync(delivery.Tag);
                }
                throw;
            }
        }
    }

    private static void Record(List<(Delivery Delivery, OrderMessage Order)> batch, IReadOnlyList<AppliedOutcome> outcomes, Instruments instruments, Activity? transaction)
    {
        var committedAt = DateTimeOffset.UtcNow;
        var statuses = outcomes.ToDictionary(o => o.OrderId, o => o.Status);
        foreach (var (delivery, order) in batch)
        {
            // A redelivered or duplicate order changed nothing, so it has no outcome and no lag of its own.
            if (statuses.Remove(order.OrderId, out var status))
            {
                var tag = new KeyValuePair<string, object?>("status", status);
                instruments.Applied.Add(1, tag);
                instruments.ApplyLag.Record(Math.Max(0, (committedAt - order.CreatedAt).TotalSeconds), tag);
            }
            OrderTracing.RecordOrder(delivery.Trace, delivery.ReceivedAt, order.OrderId, status ?? OrderTracing.Duplicate, transaction);
        }
    }

    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(5000, 100 * Math.Pow(2, Math.Max(0, attempt - 1))) * (0.8 + Random.Shared.NextDouble() * 0.4));

    private async Task<IChannel> OpenChannelAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var connection = await Task.Run(services.GetRequiredService<IConnection>, stoppingToken);
                foreach (var migrated in await OrderQueue.DeclareAsync(connection, stoppingToken))
                {
                    logger.LogWarning("{Migration}", migrated);
                }
                var opened = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
                await opened.BasicQosAsync(prefetchSize: 0, prefetchCount: options.Value.Prefetch, global: false, stoppingToken);
                return opened;
            }
            catch (Exception e) when (e is RabbitMQClientException or OperationInterruptedException or System.Net.Sockets.SocketException)
            {
                logger.LogWarning(e, "Cannot reach the broker (attempt {Attempt}); trying again", attempt);
                await Task.Delay(Backoff(attempt), stoppingToken);
            }
        }
    }

    /// <summary>
    /// An ack for a delivery from before a reconnect cannot reach the broker; the message then comes again and the
    /// dedup row makes the second application a no-op.
    /// </summary>
    private async Task SettleAsync(ulong tag, bool ack, bool multiple = false)
    {
        try
        {
            if (ack)
            {
                await channel.BasicAckAsync(tag, multiple);
            }
            else
            {
                await channel.BasicNackAsync(tag, multiple: false, requeue: false);
            }
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException)
        {
            logger.LogWarning(e, "Could not settle delivery {Tag}; the broker will redeliver it", tag);
        }
    }

    private async Task ReleaseAsync(ulong tag)
    {
        try
        {
            await channel.BasicNackAsync(tag, multiple: false, requeue: true);
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException)
        {
            // Closing the channel hands it back anyway.
        }
    }

    /// <summary>Graceful stop: no new deliveries, everything received but not applied goes back to the queue.</summary>
    private async Task StopConsumingAsync(string consumerTag)
    {
        try
        {
            await channel.BasicCancelAsync(consumerTag);
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException)
        {
        }
        inbox.Writer.TryComplete();
        while (inbox.Reader.TryRead(out var delivery))
        {
            await ReleaseAsync(delivery.Tag);
        }
        await channel.CloseAsync();
        logger.LogInformation("Stopped consuming orders");
    }

    public override void Dispose()
    {
        meter.Dispose();
        base.Dispose();
    }
}
