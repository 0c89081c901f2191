using Shop.Api.Platform;
using Shop.Data;

namespace Shop.Api;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddShopDbContext();
        builder.AddRedisClient("redis");
        builder.AddRabbitMQClient("rabbitmq");
        builder.AddAssetBlobs("blobs");
        builder.Services.AddSingleton(TimeProvider.System);
    }
}
