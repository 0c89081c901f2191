using Shop.Web.Cart;
using Shop.Web.Catalog;
using Shop.Web.Orders;
using Shop.Web.Platform;
using Shop.Web.WaitingRoom;
using Shop.Messaging;
using Shop.ServiceDefaults.Experience;
using Shop.ServiceDefaults.Security;

namespace Shop.Web;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // The catalog straight from the API instances ("api" lists them all in service discovery), held a second here.
        builder.Services.AddOptions<CatalogReadOptions>().BindConfiguration(CatalogReadOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<CatalogApiInstances>();
        builder.Services.AddHybridCache();
        builder.Services.AddSingleton<CatalogClient>();
        // "edge" resolves through service discovery to the load balancer the AppHost runs.
        builder.Services.AddHttpClient<OrdersClient>(http => http.BaseAddress = new Uri("http://edge"));
        builder.Services.AddHttpClient(SaleClient.HttpClientName, http => http.BaseAddress = new Uri("http://edge"));
        builder.Services.AddSingleton<SaleClient>();
        builder.Services.AddSingleton(TimeProvider.System);
        // The API's waiting-room key (the AppHost's waitingroom-key): the storefront checks admissions without asking anyone.
        builder.Services.AddSingleton(sp => new WaitingRoomPasses(sp.GetRequiredService<IConfiguration>()["WaitingRoom:SigningKey"]
            ?? throw new InvalidOperationException("WaitingRoom:SigningKey is required (the AppHost passes its waitingroom-key parameter).")));
        builder.AddRedisClient("redis", configureOptions: options =>
        {
            // While Redis is away a cart request fails at once (a 503 the shopper can retry), not after a queue wait.
            options.AbortOnConnectFail = false;
            options.BacklogPolicy = StackExchange.Redis.BacklogPolicy.FailFast;
            options.AsyncTimeout = 500;
        });
        builder.AddServiceExperience(ShopperExperience.ServiceName);
        builder.Services.AddSingleton<CartStore>();
        builder.Services.AddSingleton<SharedRateLimiter>();
        builder.Services.AddOptions<CheckoutLimitOptions>().BindConfiguration(CheckoutLimitOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<CheckoutLimit>();
        builder.AddSharedDataProtection("shop-web");
        builder.Services.AddAntiforgery(options =>
        {
            // Stated, not left to defaults: a browser-session cookie (no Expires), never sent cross-site, never read by script.
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.HttpOnly = true;
            // The edge sends X-Frame-Options DENY (and frame-ancestors 'none') on every response; a second, laxer copy would contradict it.
            options.SuppressXFrameOptionsHeader = true;
        });
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddRazorComponents();
        builder.Services.AddExceptionHandler<ApiUnavailableHandler>();
        builder.Services.AddExceptionHandler<CartUnavailableHandler>();
        builder.Services.AddProblemDetails();
    }
}
