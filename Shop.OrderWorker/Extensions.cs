using Shop.Data;
using Shop.OrderWorker.Orders;

namespace Shop.OrderWorker;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Orders are applied on the primary only; the replica is for staff reports.
        builder.AddNpgsqlDataSource(ShopDataExtensions.PrimaryConnectionName);
        builder.AddRabbitMQClient("rabbitmq");

        builder.Services.AddOptions<OrderWorkerOptions>().BindConfiguration(OrderWorkerOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<OrderApplier>();
        builder.Services.AddHostedService<OrderConsumer>();
    }
}
