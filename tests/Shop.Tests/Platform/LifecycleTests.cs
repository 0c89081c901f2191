using Npgsql;
using Shop.AppHost.Infrastructure;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Platform;

/// <summary>Boots its own shop twice on one data folder; not shared, because it stops the whole application.</summary>
public sealed class LifecycleTests
{
    /// <summary>A fingerprint of every catalog row, to show that a second seeding run changed nothing.</summary>
    private const string CatalogFingerprint =
        "SELECT md5(string_agg(concat_ws('|', id, sku, name, price, stock, image_key, updated_at), ',' ORDER BY id)) FROM products";

    [Fact]
    public async Task Stopping_leaves_no_process_behind_data_survives_a_restart_and_reseeding_changes_nothing()
    {
        var marker = Guid.NewGuid();
        string dataDirectory;
        ShopPorts ports;
        object? catalogBefore;

        await using (var shop = new TestShop(".data/test-lifecycle", portOffset: 1000))
        {
            dataDirectory = shop.DataDirectory;
            ports = shop.Ports;
            await shop.StartAsync();
            Assert.Contains(ShopProcesses.Running(dataDirectory), p => p.Contains("beam.smp"));
            Assert.Contains(ShopProcesses.Running(dataDirectory), p => p.Contains("epmd"));

            await using var primary = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
            await primary.CreateCommand("CREATE TABLE IF NOT EXISTS lifecycle_probe (id uuid PRIMARY KEY)").ExecuteNonQueryAsync();
            await using var insert = primary.CreateCommand("INSERT INTO lifecycle_probe VALUES ($1)");
            insert.Parameters.AddWithValue(marker);
            await insert.ExecuteNonQueryAsync();
            catalogBefore = await primary.CreateCommand(CatalogFingerprint).ExecuteScalarAsync();
        }

        await AssertNothingLeftAsync(dataDirectory, ports);

        await using (var again = new TestShop(".data/test-lifecycle", portOffset: 1000))
        {
            await again.StartAsync();
            await using var replica = NpgsqlDataSource.Create(await again.ConnectionStringAsync("postgres-replica"));
            await using var select = replica.CreateCommand("SELECT count(*) FROM lifecycle_probe WHERE id = $1");
            select.Parameters.AddWithValue(marker);
            Assert.Equal(1L, await select.ExecuteScalarAsync());
            // migrations ran again on this boot; seeding must have left the catalog exactly as it was.
            Assert.Equal(catalogBefore, await replica.CreateCommand(CatalogFingerprint).ExecuteScalarAsync());
        }

        await AssertNothingLeftAsync(dataDirectory, ports);
    }

    private static async Task AssertNothingLeftAsync(string dataDirectory, ShopPorts ports)
    {
        // Servers get a moment to finish their own shutdown after the AppHost is gone.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline && (ShopProcesses.Running(dataDirectory).Count > 0 || ports.All.Any(TestShop.IsListening)))
        {
            await Task.Delay(250);
        }
        Assert.Empty(ShopProcesses.Running(dataDirectory));
        Assert.DoesNotContain(ports.All, TestShop.IsListening);
    }
}
