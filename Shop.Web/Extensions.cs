using Shop.Web.Cart;
using Shop.Web.Catalog;
using Shop.Web.Orders;

namespace Shop.Web;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // "edge" resolves through service discovery to the load balancer the AppHost runs.
        builder.Services.AddHttpClient<CatalogClient>(http => http.BaseAddress = new Uri("http://edge"));
        builder.Services.AddHttpClient<OrdersClient>(http => http.BaseAddress = new Uri("http://edge"));
        builder.AddRedisClient("redis", configureOptions: options =>
        {
            options.AbortOnConnectFail = false;
            options.AsyncTimeout = 500;
        });
        builder.Services.AddSingleton<CartStore>();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddRazorComponents();
    }
}
