using Shop.Web.Cart;
using Shop.Web.Catalog;
using Shop.Web.Orders;
using Shop.Web.Platform;
using Shop.Web.WaitingRoom;
using Shop.Messaging;
using Shop.ServiceDefaults.Endpoints;
using Shop.ServiceDefaults.Experience;
using Shop.ServiceDefaults.Redis;
using Shop.ServiceDefaults.Security;

namespace Shop.Web;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Straight from the API instances ("api" lists them all in service discovery), never back through the edge:
        // the catalog (held a second here), orders and the current sale.
        builder.Services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ApiInstances>();
        builder.Services.AddOptions<CatalogReadOptions>().BindConfiguration(CatalogReadOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHybridCache();
        builder.Services.AddSingleton<CatalogClient>();
        builder.Services.AddSingleton<OrdersClient>();
        builder.Services.AddSingleton<SaleClient>();
        builder.Services.AddSingleton(TimeProvider.System);
        // The storefront checks admissions with the API's key, without asking anyone.
        builder.AddWaitingRoomPasses();
        // While Redis is away a cart request fails at once (a 503 the shopper can retry). A Redis that is slow at a peak
        // (it shares the machine) is waited for: a slower cart, not an error page. Only a few timeouts in a row mark it
        // down (RedisTolerance), and then nothing waits for it.
        var tolerant = FailFastRedis.Options(asyncTimeoutMs: 2000);
        // Rate limits, the Data Protection key ring and the waiting room's ended sessions: never evicted.
        builder.AddRedisClient(RedisStores.State, configureOptions: tolerant);
        // Carts: evicted least recently used first should the store fill up (CartStore).
        builder.AddKeyedRedisClient(RedisStores.Cache, configureOptions: tolerant);
        builder.AddServiceExperience(ShopperExperience.ServiceName);
        builder.Services.AddSingleton<RedisTolerance>();
        builder.Services.AddSingleton<CartStore>();
        builder.Services.AddOptions<NewCartLimitOptions>().BindConfiguration(NewCartLimitOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<NewCartLimit>();
        builder.Services.AddSingleton<SharedRateLimiter>();
        builder.Services.AddOptions<CheckoutLimitOptions>().BindConfiguration(CheckoutLimitOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<CheckoutLimit>();
        builder.AddSharedDataProtection("shop-web");
        // The edge sends X-Frame-Options DENY (and frame-ancestors 'none') on every response.
        builder.Services.AddSiteAntiforgery(suppressXFrameOptions: true);
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddRazorComponents();
        builder.Services.AddExceptionHandler<ApiUnavailableHandler>();
        builder.Services.AddExceptionHandler<CartUnavailableHandler>();
        builder.Services.AddProblemDetails();
    }
}
