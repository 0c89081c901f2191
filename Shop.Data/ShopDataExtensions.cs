using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;

namespace Shop.Data;

public static class ShopDataExtensions
{
    /// <summary>The primary database. Shoppers' own reads and all writes go here; only staff reports use the replica.</summary>
    public const string PrimaryConnectionName = "shopdb";

    /// <summary>Registers the pooled <see cref="ShopDbContext"/> on the primary, with health check, retries and telemetry.</summary>
    public static void AddShopDbContext(this IHostApplicationBuilder builder) =>
        builder.AddNpgsqlDbContext<ShopDbContext>(PrimaryConnectionName,
            configureDbContextOptions: options => options.UseSnakeCaseNamingConvention());

    public static DbContextOptionsBuilder UseShopDatabase(this DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString).UseSnakeCaseNamingConvention();
}
