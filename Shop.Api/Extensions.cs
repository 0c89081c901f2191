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
        // The cache's timeout is short, since a miss can read Postgres instead. The state store's is long: it has no
        // substitute, and a join that times out under overload would be a 503 where a slower answer is the right one
        // (three timeouts in a row also mark the waiting room's store down).
        static Action<StackExchange.Redis.ConfigurationOptions> FailFast(int timeoutMs) =>
            FailFastRedis.Options(asyncTimeoutMs: timeoutMs, connectTimeoutMs: 1000, syncTimeoutMs: timeoutMs);
        // The waiting room, rate limits and catalog invalidations; the catalog's second cache level is in the evictable store.
        builder.AddRedisClient(RedisStores.State, configureOptions: FailFast(timeoutMs: 5000));
        builder.AddKeyedRedisClient(RedisStores.Cache, configureOptions: FailFast(timeoutMs: 1000));
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
