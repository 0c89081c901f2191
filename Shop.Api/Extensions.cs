using Shop.Api.Admin;
using Shop.Api.Catalog;
using Shop.Api.Orders;
using Shop.Api.Platform;
using Shop.Api.WaitingRoom;
using Shop.Data;
using Shop.Data.Assets;
using Shop.ServiceDefaults.Experience;
using Shop.ServiceDefaults.Redis;

namespace Shop.Api;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddShopDbContext();
        // A dead Redis must cost a request milliseconds, not seconds: the catalog then reads Postgres.
        // Fail-fast answers at once while disconnected; the timeout only covers a live but slow server,
        // and is loose enough for a busy two-core machine.
        static void FailFast(StackExchange.Redis.ConfigurationOptions options)
        {
            options.AbortOnConnectFail = false;
            options.BacklogPolicy = StackExchange.Redis.BacklogPolicy.FailFast;
            options.ConnectTimeout = 1000;
            options.AsyncTimeout = 1000;
            options.SyncTimeout = 1000;
        }
        // The waiting room, rate limits and catalog invalidations; the catalog's second cache level is in the evictable store.
        builder.AddRedisClient(RedisStores.State, configureOptions: FailFast);
        builder.AddKeyedRedisClient(RedisStores.Cache, configureOptions: FailFast);
        builder.AddRabbitMQClient("rabbitmq");
        builder.AddAssetBlobs("blobs");
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddExceptionHandler<DatabaseUnavailableHandler>();
        builder.AddCatalog();
        builder.AddAdmin();
        builder.AddOrders();
        builder.AddWaitingRoom();
        builder.AddServiceExperience(ShopperExperience.ServiceName);
    }
}
