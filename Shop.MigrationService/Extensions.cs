using Shop.Data;
using Shop.Data.Assets;
using Shop.MigrationService.Seeding;

namespace Shop.MigrationService;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddShopDbContext();
        builder.AddAssetBlobs("blobs");
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddScoped<CatalogSeeder>();
        builder.Services.AddHostedService<DatabaseMigrator>();
    }
}
