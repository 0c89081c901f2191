using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Shop.OrderWorker.Orders;

/// <summary>
/// Spans of the worker, source <c>Shop.OrderWorker</c>. One transaction applies a whole batch, but a trace belongs
/// to one order: the transaction gets a span of its own (where the database calls nest) linked to every order in it,
/// and each order gets a short span in its own trace, from the moment the worker received it to the commit, that
/// links back to the transaction. Opening an order's trace thus ends in the transaction that applied it.
/// </summary>
public static class OrderTracing
{
    public const string SourceName = "Shop.OrderWorker";

    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// Where a delivered message belongs: the client library's own delivery span (itself a child of the API's
    /// publish span) when it made one, else the publisher's context from the message headers.
    /// </summary>
    public static ActivityContext ContextOf(BasicDeliverEventArgs delivery) =>
        Activity.Current is { Source.Name: RabbitMQActivitySource.SubscriberSourceName } deliver
            ? deliver.Context
            : RabbitMQActivitySource.ContextExtractor(delivery.BasicProperties);

    public static Activity? StartTransaction(IReadOnlyCollection<ActivityContext> orders) =>
        Source.StartActivity("orders transaction", ActivityKind.Internal, parentContext: default,
            tags: [new("shop.orders.batch_size", orders.Count)],
            links: orders.Where(o => o != default).Select(o => new ActivityLink(o)));

    /// <summary>Records one order's part, after the transaction has ended (or the order was given up on).</summary>
    public static void RecordOrder(ActivityContext order, DateTimeOffset receivedAt, Guid orderId, string status, Activity? transaction)
    {
        using var span = Source.StartActivity("order apply", ActivityKind.Consumer, order,
            tags: [new("shop.order.id", orderId.ToString()), new("shop.order.status", status)],
            links: transaction is null ? null : [new ActivityLink(transaction.Context)],
            startTime: receivedAt);
        if (status == DeadLettered)
        {
            span?.SetStatus(ActivityStatusCode.Error, "dead-lettered");
        }
    }

    public const string DeadLettered = "DeadLettered";
    public const string Duplicate = "Duplicate";
}
