using Shop.Data;
using Shop.Messaging;
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
        // The same secret the API signs admissions with (the AppHost's waitingroom-key): sale orders are checked again here.
        builder.Services.AddSingleton(sp => new WaitingRoomPasses(sp.GetRequiredService<IConfiguration>()["WaitingRoom:SigningKey"]
            ?? throw new InvalidOperationException("WaitingRoom:SigningKey is required (the AppHost passes its waitingroom-key parameter).")));
        builder.Services.AddSingleton<OrderApplier>();
        builder.Services.AddHostedService<OrderConsumer>();
    }
}
