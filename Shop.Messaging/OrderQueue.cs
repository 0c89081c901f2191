using RabbitMQ.Client;

namespace Shop.Messaging;

/// <summary>
/// The broker topology for orders, declared the same way by everyone who publishes or consumes (declaring is
/// idempotent, so whoever starts first creates it). Both queues are quorum queues: replicated on a broker cluster, so
/// losing one node loses no order.
/// </summary>
public static class OrderQueue
{
    public const string Name = "orders";
    public const string DeadLetterName = "orders.dead-letter";

    /// <summary>
    /// Deliveries of one message after which the broker dead-letters it by itself. The worker settles every failure it
    /// sees on its own (a database outage is waited out holding the messages; a failing order is dead-lettered after
    /// <c>Orders:Worker:MaxAttempts</c>), so what counts here is a message coming back without a verdict — its worker
    /// stopped, crashed or lost its connection — and before RabbitMQ 4.3 each return counts. RabbitMQ 4's default of
    /// 20 returns is a few rolling restarts during a long database outage; a thousand is never reached by restarts,
    /// only by a message that kills every worker it reaches. One that does reach it lands in the dead-letter queue,
    /// and its order (still not applied) is published again by the API's stale-order sweep.
    /// </summary>
    public const int DeliveryLimit = 1000;

    /// <summary>The orders queue's arguments: a quorum queue, its delivery limit, and where rejected messages go.</summary>
    public static Dictionary<string, object?> Arguments() => new()
    {
        ["x-queue-type"] = "quorum",
        ["x-delivery-limit"] = DeliveryLimit,
        // A message the worker rejects without requeueing (it can never succeed), or that reached the delivery limit,
        // moves to the dead-letter queue through the default exchange instead of being dropped.
        ["x-dead-letter-exchange"] = "",
        ["x-dead-letter-routing-key"] = DeadLetterName,
    };

    private static Dictionary<string, object?> DeadLetterArguments() => new() { ["x-queue-type"] = "quorum" };

    /// <summary>How the shop declared these queues before they were quorum queues (classic queues hold the old data folders).</summary>
    private static Dictionary<string, object?> ClassicArguments() => new()
    {
        ["x-dead-letter-exchange"] = "",
        ["x-dead-letter-routing-key"] = DeadLetterName,
    };

    /// <summary>
    /// Declares both queues on channels of its own, first moving a classic queue of the same name (from a data folder
    /// made before) into a quorum queue, messages included.
    /// </summary>
    /// <returns>What was migrated, for the caller to log; empty when the queues were as expected.</returns>
    public static async Task<IReadOnlyList<string>> DeclareAsync(IConnection connection, CancellationToken cancellationToken = default)
    {
        var migrated = new List<string>();
        await QuorumQueues.DeclareAsync(connection, DeadLetterName, DeadLetterArguments(), classic: new Dictionary<string, object?>(), migrated, cancellationToken);
        await QuorumQueues.DeclareAsync(connection, Name, Arguments(), ClassicArguments(), migrated, cancellationToken);
        return migrated;
    }

    /// <summary>Persistent, so a confirmed message survives a broker restart.</summary>
    public static BasicProperties Properties(Guid orderId) => new()
    {
        Persistent = true,
        ContentType = "application/json",
        MessageId = orderId.ToString(),
        Type = "order.accepted",
    };
}
