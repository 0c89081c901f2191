using System.Diagnostics;
using Npgsql;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Platform;

[Collection(ShopCollection.Name)]
public sealed class ReplicationTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public void The_replica_runs_at_a_lower_cpu_priority_than_the_primary()
    {
        // Field 19 of /proc/<pid>/stat is the nice value; reports on the standby must give way to the store.
        static int Nice(int pid)
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16]);
        }
        Assert.Equal("postgres", File.ReadAllText($"/proc/{shop.ProcessId("postgres-replica")}/comm").Trim());
        Assert.Equal(Nice(shop.ProcessId("postgres")) + 10, Nice(shop.ProcessId("postgres-replica")));
    }

    [Fact]
    public async Task Row_written_on_the_primary_is_readable_on_the_replica_within_5_seconds()
    {
        await using var primary = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using var replica = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres-replica"));
        await primary.CreateCommand("CREATE TABLE IF NOT EXISTS replication_probe (id uuid PRIMARY KEY, written_at timestamptz NOT NULL)")
            .ExecuteNonQueryAsync();
        var id = Guid.NewGuid();

        await using (var insert = primary.CreateCommand("INSERT INTO replication_probe VALUES ($1, now())"))
        {
            insert.Parameters.AddWithValue(id);
            await insert.ExecuteNonQueryAsync();
        }

        var clock = Stopwatch.StartNew();
        var seen = false;
        while (!seen && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            seen = await ExistsAsync(replica, id);
            if (!seen)
            {
                await Task.Delay(50);
            }
        }
        Assert.True(seen, $"The row was not on the replica after {clock.Elapsed.TotalSeconds:0.0} s.");
    }

    [Fact]
    public async Task Replica_is_a_standby_that_refuses_writes()
    {
        await using var replica = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres-replica"));

        Assert.True((bool)(await replica.CreateCommand("SELECT pg_is_in_recovery()").ExecuteScalarAsync())!);
        var refused = await Assert.ThrowsAsync<PostgresException>(() =>
            replica.CreateCommand("CREATE TABLE written_on_replica (id int)").ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
    }

    [Fact]
    public async Task Services_get_the_primary_as_shopdb_and_the_replica_as_shopdb_replica()
    {
        var primary = new NpgsqlConnectionStringBuilder(await shop.ConnectionStringAsync("postgres"));
        var replica = new NpgsqlConnectionStringBuilder(await shop.ConnectionStringAsync("postgres-replica"));

        Assert.Equal(("shopdb", shop.Ports.Postgres), (primary.Database, primary.Port));
        Assert.Equal(("shopdb", shop.Ports.PostgresReplica), (replica.Database, replica.Port));
    }

    private static async Task<bool> ExistsAsync(NpgsqlDataSource replica, Guid id)
    {
        await using var select = replica.CreateCommand("SELECT count(*) FROM replication_probe WHERE id = $1");
        select.Parameters.AddWithValue(id);
        try
        {
            return (long)(await select.ExecuteScalarAsync())! == 1;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return false; // the CREATE TABLE itself has not been replayed yet
        }
    }
}
