using Shop.Data;

namespace Shop.MigrationService;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddShopDbContext();
        builder.Services.AddHostedService<DatabaseMigrator>();
    }
}
