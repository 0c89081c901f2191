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
        builder.AddShopDbContext();
        builder.AddAssetBlobs("blobs");
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddScoped<CatalogSeeder>();
        builder.AddStaffDbContext();
        builder.Services.AddIdentityCore<StaffUser>(StaffExtensions.ConfigurePasswords)
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<StaffDbContext>();
        builder.Services.AddScoped<StaffSeeder>();
        builder.Services.AddHostedService<DatabaseMigrator>();
    }
}
