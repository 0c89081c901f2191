using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;

namespace Shop.Data;

public static class ShopDataExtensions
{
    /// <summary>The primary database. Shoppers' own reads and all writes go here; only staff reports use the replica.</summary>
    public const string PrimaryConnectionName = "shopdb";

    /// <summary>
    /// Registers the pooled <see cref="ShopDbContext"/> on the primary, with health check and telemetry. No retries
    /// unless asked for (<paramref name="retryTransientFailures"/>, the migrations at start): EF's retrying strategy
    /// repeats a command up to six times, backing off for up to half a minute, and counts a pool that had no connection
    /// to give as transient, so under overload every request would ask the overloaded database again and hold its
    /// caller for as long. A request that fails answers 503 with Retry-After (DatabaseUnavailableHandler) at once.
    /// </summary>
    public static void AddShopDbContext(this IHostApplicationBuilder builder, bool retryTransientFailures = false) =>
        builder.AddNpgsqlDbContext<ShopDbContext>(PrimaryConnectionName,
            configureSettings: settings => settings.DisableRetry = !retryTransientFailures,
            configureDbContextOptions: options => options.UseSnakeCaseNamingConvention());

    public static DbContextOptionsBuilder UseShopDatabase(this DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString).UseSnakeCaseNamingConvention();
}
