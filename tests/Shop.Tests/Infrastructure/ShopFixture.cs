namespace Shop.Tests.Infrastructure;

/// <summary>The shop booted once for every test in the <see cref="ShopCollection"/>.</summary>
public sealed class ShopFixture : IAsyncLifetime
{
    public TestShop Shop { get; } = new(".data/test", portOffset: 0);

    public async Task InitializeAsync()
    {
        await Shop.StartAsync();
        // A run that stopped half-way may have left a sale live, which would gate every order of this run.
        await using var db = Npgsql.NpgsqlDataSource.Create(await Shop.ConnectionStringAsync("postgres"));
        await using var end = db.CreateCommand("UPDATE sales SET ended_at = now() WHERE ended_at IS NULL");
        if (await end.ExecuteNonQueryAsync() > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(3)); // every API instance reloads its sales each second
        }
    }

    public async Task DisposeAsync() => await Shop.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ShopCollection : ICollectionFixture<ShopFixture>
{
    public const string Name = "Booted shop";
}
