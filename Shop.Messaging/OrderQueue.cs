using RabbitMQ.Client;

namespace Shop.Messaging;

/// <summary>
/// The broker topology for orders, declared the same way by everyone who publishes or consumes (declaring is
/// idempotent, so whoever starts first creates it).
/// </summary>
public static class OrderQueue
{
    public const string Name = "orders";
    public const string DeadLetterName = "orders.dead-letter";

    public static async Task DeclareAsync(IChannel channel, CancellationToken cancellationToken = default)
    {
        await channel.QueueDeclareAsync(DeadLetterName, durable: true, exclusive: false, autoDelete: false,
            cancellationToken: cancellationToken);
        // A message the worker rejects without requeueing (it can never succeed) moves to the dead-letter queue
        // through the default exchange instead of being dropped.
        await channel.QueueDeclareAsync(Name, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?>
            {
                ["x-dead-letter-exchange"] = "",
                ["x-dead-letter-routing-key"] = DeadLetterName,
            },
            cancellationToken: cancellationToken);
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
