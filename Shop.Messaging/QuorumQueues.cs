using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Shop.Messaging;

/// <summary>
/// Declares a quorum queue where an older version of the shop may have left a classic queue of the same name. A queue's
/// type cannot change and a declare with other arguments fails (PRECONDITION_FAILED), so the classic queue is emptied
/// into a holding queue (each message published with a confirm before it is acknowledged), deleted once empty and
/// unused, declared again as a quorum queue, and refilled. One process migrates at a time, holding an exclusive queue
/// as a lock (freed with its connection if it dies); the others wait for it. That matters: RabbitMQ 3.10 closes the
/// whole connection (NOT_IMPLEMENTED) when a delete with if-empty or if-unused reaches a quorum queue, so such a delete
/// must only ever meet the classic queue, and the holding queue is a classic one.
/// </summary>
public static class QuorumQueues
{
    private const ushort PreconditionFailed = 406;
    private const ushort NotFound = 404;
    private const ushort ResourceLocked = 405;

    /// <summary>Where the messages of a queue being migrated wait: its name with this suffix.</summary>
    public const string HoldingSuffix = ".migrating";

    private const string LockSuffix = ".migration-lock";

    /// <summary>The lock is per connection; two callers in one process (intake and the sweep) take turns here.</summary>
    private static readonly SemaphoreSlim InProcess = new(1, 1);

    /// <param name="classic">The arguments the classic queue was declared with (nothing else is moved).</param>
    /// <param name="migrated">Gets a line for each queue this call migrated.</param>
    public static async Task DeclareAsync(IConnection connection, string name, IDictionary<string, object?> arguments,
        IDictionary<string, object?> classic, ICollection<string> migrated, CancellationToken cancellationToken = default)
    {
        while (!await DeclaredAsync(connection, name, arguments, cancellationToken))
        {
            await InProcess.WaitAsync(cancellationToken);
            try
            {
                if (await TryAsync(connection, channel => channel.QueueDeclareAsync(name + LockSuffix, durable: false, exclusive: true,
                        autoDelete: true, cancellationToken: cancellationToken), cancellationToken) is ResourceLocked)
                {
                    // Another process is migrating it: wait, then look again.
                    await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
                    continue;
                }
                try
                {
                    if (await MigrateAsync(connection, name, arguments, classic, cancellationToken) is { } moved)
                    {
                        if (moved >= 0)
                        {
                            migrated.Add($"The classic queue '{name}' became a quorum queue; {moved} message(s) were moved into it.");
                        }
                        return;
                    }
                }
                finally
                {
                    await TryAsync(connection, channel => channel.QueueDeleteAsync(name + LockSuffix, cancellationToken: cancellationToken), cancellationToken);
                }
            }
            finally
            {
                InProcess.Release();
            }
        }
    }

    private static async Task<bool> DeclaredAsync(IConnection connection, string name, IDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
        await TryAsync(connection, channel => channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false,
            arguments, cancellationToken: cancellationToken), cancellationToken) is not PreconditionFailed;

    /// <summary>Under the lock.</summary>
    /// <returns>
    /// The messages moved; -1 when the process that held the lock before has migrated it; null when something was published
    /// to the classic queue meanwhile and the caller should look again.
    /// </returns>
    private static async Task<int?> MigrateAsync(IConnection connection, string name, IDictionary<string, object?> arguments,
        IDictionary<string, object?> classic, CancellationToken cancellationToken)
    {
        if (await DeclaredAsync(connection, name, arguments, cancellationToken))
        {
            return -1;
        }
        // Declared as before, it is the classic queue from before. A queue in use is never emptied: its consumers are an
        // older version still running, or the queue is not what this code thinks it is.
        if (await TryAsync(connection, channel => channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false,
                classic, cancellationToken: cancellationToken), cancellationToken) is PreconditionFailed
            || await ConsumersAsync(connection, name, cancellationToken) > 0)
        {
            throw new BrokerTopologyException(
                $"The broker's queue '{name}' is not the quorum queue this version of the shop declares, and it cannot be made one " +
                "here: it was declared with other arguments, or an older version still consumes from it. Stop the older version " +
                $"(or move the queue's messages elsewhere and delete it: rabbitmqctl delete_queue {name}), then start the shop again.");
        }
        var holding = name + HoldingSuffix;
        await using var publishing = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        await publishing.QueueDeclareAsync(holding, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken);
        await MoveAsync(connection, publishing, name, holding, cancellationToken);
        // Refused when something was published to it meanwhile, or a consumer came: look again.
        if (await TryAsync(connection, channel => channel.QueueDeleteAsync(name, ifUnused: true, ifEmpty: true, cancellationToken: cancellationToken),
                cancellationToken) is PreconditionFailed)
        {
            return null;
        }
        await publishing.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken);
        var moved = await MoveAsync(connection, publishing, holding, name, cancellationToken);
        await TryAsync(connection, channel => channel.QueueDeleteAsync(holding, ifUnused: false, ifEmpty: true, cancellationToken: cancellationToken),
            cancellationToken);
        return moved;
    }

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
    /// succeeded, or the broker's refusal code for a precondition, a missing queue or a lock; anything else is thrown.
    /// </summary>
    private static async Task<ushort?> TryAsync<T>(IConnection connection, Func<IChannel, Task<T>> operation, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await operation(channel);
            return null;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason is { ReplyCode: PreconditionFailed or NotFound or ResourceLocked } refusal)
        {
            return refusal.ReplyCode;
        }
    }
}

/// <summary>The broker holds a queue in a shape the shop cannot use or repair by itself; the message says what to do.</summary>
public sealed class BrokerTopologyException(string message) : Exception(message);
