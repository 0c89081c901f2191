using Microsoft.Extensions.Caching.StackExchangeRedis;
using StackExchange.Redis;

namespace Shop.Api.Catalog;

public static class CatalogExtensions
{
    public static void AddCatalog(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CatalogCacheOptions>().BindConfiguration(CatalogCacheOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<CdnOptions>().BindConfiguration(CdnOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();

        // Redis is the second cache level; HybridCache picks up the distributed cache registered here.
        builder.Services.AddStackExchangeRedisCache(_ => { });
        builder.Services.AddOptions<RedisCacheOptions>().Configure<IConnectionMultiplexer>((options, redis) =>
            options.ConnectionMultiplexerFactory = () => Task.FromResult(redis)); // share Aspire's connection
        builder.Services.AddHybridCache();

        builder.Services.AddSingleton<CatalogCacheMetrics>();
        builder.Services.AddScoped<CatalogReader>();
        builder.Services.AddSingleton<CatalogService>();
        builder.Services.AddSingleton<CatalogSnapshot>();
        builder.Services.AddSingleton<CatalogInvalidation>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CatalogInvalidation>());
    }
}
