namespace Shop.Tests.Infrastructure;

/// <summary>The shop booted once for every test in the <see cref="ShopCollection"/>.</summary>
public sealed class ShopFixture : IAsyncLifetime
{
    public TestShop Shop { get; } = new(".data/test", portOffset: 0);

    public async Task InitializeAsync()
    {
        await Shop.StartAsync();
        await Shop.EndLeftoverSalesAsync();
    }

    public async Task DisposeAsync() => await Shop.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ShopCollection : ICollectionFixture<ShopFixture>
{
    public const string Name = "Booted shop";
}
