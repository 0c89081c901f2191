using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Shop.Messaging;
using Shop.ServiceDefaults.Logging;

namespace Shop.Api.Orders;

/// <summary>
/// Publishes orders on one channel with publisher confirms. <see cref="PublishAsync"/> returns only once the broker
/// has written the message to its durable queue; anything else throws <see cref="OrderNotPublishedException"/>.
/// </summary>
public sealed class OrderPublisher(IServiceProvider services, IOptions<OrderOptions> options, ILogger<OrderPublisher> logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private IChannel? channel;
    // While the broker is away every order fails the same way: one warning per interval, not one per order.
    private readonly RateLimitedWarning unconfirmed = new(TimeSpan.FromSeconds(10));

    public async Task PublishAsync(OrderMessage order, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PublishTimeout);
        try
        {
            var publishing = await ChannelAsync(timeout.Token);
            // mandatory: a message no queue would take comes back as a failure instead of vanishing.
            await publishing.BasicPublishAsync(exchange: "", routingKey: OrderQueue.Name, mandatory: true,
                basicProperties: OrderQueue.Properties(order.OrderId), body: order.ToBytes(), cancellationToken: timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OrderNotPublishedException($"the broker did not confirm within {options.Value.PublishTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception e) when (e is RabbitMQClientException or OperationInterruptedException or System.Net.Sockets.SocketException or IOException)
        {
            if (unconfirmed.ShouldWarn(out var suppressed))
            {
                logger.LogWarning(e, "Order {OrderId} was not confirmed by the broker ({Suppressed} more since the last warning)", order.OrderId, suppressed);
            }
            throw new OrderNotPublishedException(e is PublishException ? "the broker refused the order" : "the broker is unreachable");
        }
        catch (BrokerTopologyException e)
        {
            if (unconfirmed.ShouldWarn(out var suppressed))
            {
                logger.LogError(e, "Orders cannot be published ({Suppressed} more since the last error)", suppressed);
            }
            throw new OrderNotPublishedException("the broker's order queue needs an operator");
        }
    }

    private async ValueTask<IChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        if (channel is { IsClosed: false } open)
        {
            return open;
        }
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (channel is { IsClosed: false } opened)
            {
                return opened;
            }
            if (channel is not null)
            {
                await channel.DisposeAsync();
                channel = null;
            }
            var connection = await OrderBroker.DeclaredConnectionAsync(services, logger, cancellationToken);
            return channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
                cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (channel is not null)
        {
            await channel.DisposeAsync();
        }
        gate.Dispose();
    }
}

public sealed class OrderNotPublishedException(string reason) : Exception(reason);
