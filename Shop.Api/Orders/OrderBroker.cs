using RabbitMQ.Client;
using Shop.Messaging;

namespace Shop.Api.Orders;

/// <summary>The API's way to the broker, shared by intake's publisher and the sweep.</summary>
public static class OrderBroker
{
    /// <summary>
    /// The broker connection, resolved on first use rather than at start (with the broker down then, the API still
    /// serves the catalog and order intake answers 503 until it can be made), with the order queues declared (or
    /// migrated, each move logged): a broker that came back without its data has no queue at all.
    /// </summary>
    public static async Task<IConnection> DeclaredConnectionAsync(IServiceProvider services, ILogger logger, CancellationToken cancellationToken)
    {
        var connection = await Task.Run(services.GetRequiredService<IConnection>, cancellationToken).WaitAsync(cancellationToken);
        foreach (var migrated in await OrderQueue.DeclareAsync(connection, cancellationToken))
        {
            logger.LogWarning("{Migration}", migrated);
        }
        return connection;
    }
}
