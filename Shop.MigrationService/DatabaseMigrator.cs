using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Shop.Data;

namespace Shop.MigrationService;

/// <summary>
/// Applies migrations once and exits. Everything that uses the database waits for this resource to
/// complete, so N API replicas never race each other on a schema change.
/// </summary>
public sealed class DatabaseMigrator(
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    ILogger<DatabaseMigrator> logger) : BackgroundService
{
    public const string ActivitySourceName = "Shop.Migrations";
    private static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var activity = ActivitySource.StartActivity("Migrate database", ActivityKind.Client);
        try
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ShopDbContext>();
            var pending = (await db.Database.GetPendingMigrationsAsync(stoppingToken)).ToList();
            await db.Database.MigrateAsync(stoppingToken);
            logger.LogInformation("Applied {Count} migration(s): {Migrations}", pending.Count, pending);
        }
        catch (Exception e)
        {
            activity?.AddException(e);
            logger.LogCritical(e, "Migrating the database failed");
            // A non-zero exit shows the resource as failed in the dashboard and keeps its dependents waiting.
            Environment.ExitCode = 1;
        }

        lifetime.StopApplication();
    }
}
