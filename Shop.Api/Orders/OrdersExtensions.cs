using Shop.ServiceDefaults.Security;

namespace Shop.Api.Orders;

public static class OrdersExtensions
{
    public static void AddOrders(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OrderOptions>().BindConfiguration(OrderOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<OrderPublisher>();
        builder.Services.AddSingleton<SharedRateLimiter>();
        builder.Services.AddSingleton<OrderMetrics>();
        builder.Services.AddSingleton<OrderBacklog>();
        builder.Services.AddHostedService<OrderBacklogMonitor>();
        builder.Services.AddOptions<OrderSweepOptions>().BindConfiguration(OrderSweepOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<OrderSweep>();
        builder.Services.AddScoped<OrderIntake>();
    }
}
