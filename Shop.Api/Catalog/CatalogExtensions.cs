using Microsoft.Extensions.Caching.StackExchangeRedis;
using Shop.ServiceDefaults.Redis;
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
        // Aspire's connection to the evictable store (allkeys-lru): a flood of reads can push catalog entries out, never
        // the waiting room or the rate limits.
        builder.Services.AddOptions<RedisCacheOptions>().Configure<IServiceProvider>((options, services) =>
            options.ConnectionMultiplexerFactory = () => Task.FromResult(services.GetRequiredKeyedService<IConnectionMultiplexer>(RedisStores.Cache)));
        builder.Services.AddHybridCache();

        builder.Services.AddSingleton<CatalogCacheMetrics>();
        builder.Services.AddScoped<CatalogReader>();
        builder.Services.AddSingleton<CatalogService>();
        builder.Services.AddSingleton<CatalogSnapshot>();
        builder.Services.AddSingleton<CatalogInvalidation>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CatalogInvalidation>());
    }
}
