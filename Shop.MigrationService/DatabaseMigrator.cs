using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Shop.Data;
using Shop.MigrationService.Seeding;
using Shop.Staff;

namespace Shop.MigrationService;

/// <summary>
/// Applies migrations and seed data once and exits. Everything that uses the database waits for this resource to
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
            await EnsureDatabaseExistsAsync(db.Database.GetConnectionString()!, stoppingToken);
            var pending = (await db.Database.GetPendingMigrationsAsync(stoppingToken)).ToList();
            await db.Database.MigrateAsync(stoppingToken);
            logger.LogInformation("Applied {Count} migration(s): {Migrations}", pending.Count, pending);
            await scope.ServiceProvider.GetRequiredService<CatalogSeeder>().SeedAsync(stoppingToken);

            var staff = scope.ServiceProvider.GetRequiredService<StaffDbContext>();
            await staff.Database.MigrateAsync(stoppingToken);
            var adminPassword = scope.ServiceProvider.GetRequiredService<IConfiguration>()["Staff:AdminPassword"]
                ?? throw new InvalidOperationException("Staff:AdminPassword is required (the AppHost passes its staff-admin-password parameter).");
            await scope.ServiceProvider.GetRequiredService<StaffSeeder>().SeedAsync(adminPassword);
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

    /// <summary>
    /// Creates the database through the maintenance database. Letting EF discover it is missing works too,
    /// but logs a connection error on every first start that reads like a fault.
    /// </summary>
    private async Task EnsureDatabaseExistsAsync(string connectionString, CancellationToken cancellationToken)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var maintenance = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync(cancellationToken);

        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection)
        {
            Parameters = { new() { Value = target.Database } },
        };
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            var name = new NpgsqlCommandBuilder().QuoteIdentifier(target.Database!);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
            logger.LogInformation("Created database {Database}", target.Database);
        }
    }
}
