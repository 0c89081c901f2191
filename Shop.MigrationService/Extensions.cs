using Shop.Data;
using Shop.Data.Assets;
using Microsoft.AspNetCore.Identity;
using Shop.MigrationService.Seeding;
using Shop.Staff;

namespace Shop.MigrationService;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Retried: a database that is still settling at start is worth asking again; no shopper waits on this.
        builder.AddShopDbContext(retryTransientFailures: true);
        builder.AddAssetBlobs("blobs");
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddScoped<CatalogSeeder>();
        builder.AddStaffDbContext(retryTransientFailures: true);
        builder.Services.AddIdentityCore<StaffUser>(StaffExtensions.ConfigurePasswords)
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<StaffDbContext>();
        builder.Services.AddStaffNameNormalizer();
        builder.Services.AddScoped<StaffSeeder>();
        builder.Services.AddHostedService<DatabaseMigrator>();
    }
}
