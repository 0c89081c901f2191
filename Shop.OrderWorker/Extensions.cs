using Shop.Data;

namespace Shop.OrderWorker;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Orders are applied on the primary only; the replica is for staff reports.
        builder.AddShopDbContext();
        builder.AddRabbitMQClient("rabbitmq");
    }
}
