using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Shop.Messaging;

/// <summary>
/// Declares a quorum queue where an older version of the shop may have left a classic queue of the same name. A queue's
/// type cannot change and a declare with other arguments fails (PRECONDITION_FAILED), so the classic queue is emptied
/// into a holding quorum queue (each message published with a confirm before it is acknowledged), deleted once empty,
/// declared again as a quorum queue, and refilled. Several processes may do this at once: every message is taken by
/// one of them, a queue is only ever deleted empty and without consumers, and a process that fails half-way is started
/// again by its caller (messages it left in the holding queue belong to orders the stale-order sweep publishes again).
/// </summary>
public static class QuorumQueues
{
    private const ushort PreconditionFailed = 406;
    private const ushort NotFound = 404;

    /// <summary>Where the messages of a queue being migrated wait: its name with this suffix.</summary>
    public const string HoldingSuffix = ".migrating";

    /// <param name="classic">The arguments the classic queue was declared with (nothing else is moved).</param>
    /// <param name="migrated">Gets a line for each queue that was migrated.</param>
    public static async Task DeclareAsync(IConnection connection, string name, IDictionary<string, object?> arguments,
        IDictionary<string, object?> classic, ICollection<string> migrated, CancellationToken cancellationToken = default)
    {
        var holding = name + HoldingSuffix;
        var moved = -1;
        while (true)
        {
            if (await TryAsync(connection, channel => channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false,
                    arguments, cancellationToken: cancellationToken), cancellationToken) is not PreconditionFailed)
            {
                if (moved >= 0)
                {
                    await using var refilling = await PublishingChannelAsync(connection, cancellationToken);
                    await MoveAsync(connection, refilling, holding, name, cancellationToken);
                    await TryAsync(connection, channel => channel.QueueDeleteAsync(holding, ifUnused: false, ifEmpty: true, cancellationToken: cancellationToken),
                        cancellationToken);
                    migrated.Add($"The classic queue '{name}' became a quorum queue; {moved} message(s) were moved into it.");
                }
                return;
            }
            // Declared as before, it is the classic queue from before (or, if another process deleted it a moment ago, an
            // empty one made just now, which is deleted again below). A queue in use is never emptied: its consumers are
            // an older version still running, or the queue is not what this code thinks it is.
            if (await TryAsync(connection, channel => channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false,
                    classic, cancellationToken: cancellationToken), cancellationToken) is PreconditionFailed
                || await ConsumersAsync(connection, name, cancellationToken) > 0)
            {
                throw new BrokerTopologyException(
                    $"The broker's queue '{name}' is not the quorum queue this version of the shop declares, and it cannot be made one " +
                    "here: it was declared with other arguments, or an older version still consumes from it. Stop the older version " +
                    $"(or move the queue's messages elsewhere and delete it: rabbitmqctl delete_queue {name}), then start the shop again.");
            }
            await using var publishing = await PublishingChannelAsync(connection, cancellationToken);
            await publishing.QueueDeclareAsync(holding, durable: true, exclusive: false, autoDelete: false,
                new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: cancellationToken);
            moved = Math.Max(moved, 0) + await MoveAsync(connection, publishing, name, holding, cancellationToken);
            // Refused when something was published to it meanwhile, or a consumer came: the next round looks again.
            await TryAsync(connection, channel => channel.QueueDeleteAsync(name, ifUnused: true, ifEmpty: true, cancellationToken: cancellationToken),
                cancellationToken);
        }
    }

    private static Task<IChannel> PublishingChannelAsync(IConnection connection, CancellationToken cancellationToken) =>
        connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken);

    /// <returns>The queue's consumers; none when another process has just deleted it.</returns>
    private static async Task<uint> ConsumersAsync(IConnection connection, string name, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            return (await channel.QueueDeclarePassiveAsync(name, cancellationToken)).ConsumerCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason is { ReplyCode: NotFound })
        {
            return 0;
        }
    }

    /// <summary>
    /// Moves every message from one queue to another, each acknowledged only after the broker confirmed its copy. A
    /// source another process has deleted already has nothing left to move.
    /// </summary>
    private static async Task<int> MoveAsync(IConnection connection, IChannel publishing, string from, string to, CancellationToken cancellationToken)
    {
        await using var reading = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var moved = 0;
        try
        {
            while (await reading.BasicGetAsync(from, autoAck: false, cancellationToken) is { } message)
            {
                await publishing.BasicPublishAsync(exchange: "", routingKey: to, mandatory: true,
                    basicProperties: new BasicProperties(message.BasicProperties), body: message.Body.ToArray(), cancellationToken);
                await reading.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
                moved++;
            }
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason is { ReplyCode: NotFound })
        {
        }
        return moved;
    }

    /// <summary>
    /// Runs one operation on a channel of its own, since a refusal closes the channel it came on. Returns null when it
    /// succeeded, or the broker's refusal code for a precondition or a missing queue; anything else is thrown.
    /// </summary>
    private static async Task<ushort?> TryAsync<T>(IConnection connection, Func<IChannel, Task<T>> operation, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await operation(channel);
            return null;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason is { ReplyCode: PreconditionFailed or NotFound } refusal)
        {
            return refusal.ReplyCode;
        }
    }
}

/// <summary>The broker holds a queue in a shape the shop cannot use or repair by itself; the message says what to do.</summary>
public sealed class BrokerTopologyException(string message) : Exception(message);
