using Shop.Api.Admin;
using Shop.Api.Catalog;
using Shop.Data;
using Shop.Data.Assets;

namespace Shop.Api;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddShopDbContext();
        builder.AddRedisClient("redis", configureOptions: options =>
        {
            // A dead Redis must cost a request milliseconds, not seconds: the catalog then reads Postgres.
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = 1000;
            options.AsyncTimeout = 250;
            options.SyncTimeout = 250;
        });
        builder.AddRabbitMQClient("rabbitmq");
        builder.AddAssetBlobs("blobs");
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddCatalog();
        builder.AddAdmin();
    }
}
