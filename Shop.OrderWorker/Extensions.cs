using Shop.Data;
using Shop.Messaging;
using Shop.OrderWorker.Catalog;
using Shop.OrderWorker.Orders;
using Shop.ServiceDefaults.Redis;

namespace Shop.OrderWorker;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Orders are applied on the primary only; the replica is for staff reports.
        builder.AddNpgsqlDataSource(ShopDataExtensions.PrimaryConnectionName);
        builder.AddRabbitMQClient("rabbitmq");
        // Only to announce stock changes to the catalog caches. Orders never need Redis: it is no health check of the
        // worker's, and a dead Redis fails an announcement at once instead of queueing it.
        builder.AddRedisClient(RedisStores.State, settings => settings.DisableHealthChecks = true,
            FailFastRedis.Options(asyncTimeoutMs: 1000, connectTimeoutMs: 1000));

        builder.Services.AddOptions<OrderWorkerOptions>().BindConfiguration(OrderWorkerOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        // The key the API signs admissions with: sale orders are checked again here.
        builder.AddWaitingRoomPasses();
        builder.Services.AddSingleton<OrderApplier>();
        // Registered before the consumer so it stops after it and still sends the last transactions' changes.
        builder.Services.AddSingleton<StockAnnouncer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StockAnnouncer>());
        builder.Services.AddHostedService<OrderConsumer>();
    }
}
