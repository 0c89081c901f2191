using Npgsql;
using Shop.Bench.Cpu;

namespace Shop.Bench.Catalog;

/// <summary>
/// The catalog figures, each a GET through the edge against the edge's plaintext floor (<c>edge.plaintext</c>), same
/// wrk settings: one hot item, one hot list page, and searches that miss every cache.
/// </summary>
public sealed class CatalogBench(BenchShop shop, Baseline baseline, CpuMeter meter, SearchPaths searches)
{
    private const string ListPath = "/api/catalog/items";

    /// <summary>Reads the product names once, for the search terms.</summary>
    public static async Task<CatalogBench> CreateAsync(BenchShop shop, Baseline baseline, CpuMeter meter, CancellationToken token)
    {
        var names = new List<string>();
        await using var database = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using var query = database.CreateCommand("SELECT name FROM products");
        await using var reader = await query.ExecuteReaderAsync(token);
        while (await reader.ReadAsync(token))
        {
            names.Add(reader.GetString(0));
        }
        var searches = new SearchPaths(SearchPaths.Terms(names), Path.Combine(shop.DataDirectory, "bench-searches"));
        Console.WriteLine($"  {searches.Combinations:N0} distinct searches from {names.Count:N0} product names");
        return new CatalogBench(shop, baseline, meter, searches);
    }

    private Side Plaintext => Side.Wrk("edge.plaintext", baseline.EdgeUrl + Baseline.PlaintextPath);

    private IEnumerable<Side> Paths =>
    [
        Side.Wrk("catalog.item.cached", shop.EdgeUrl + "/api/catalog/items/1"),
        Side.Wrk("catalog.list.cached", shop.EdgeUrl + ListPath + "?page=1&pageSize=20"),
        Side.Wrk("catalog.list.uncached", shop.EdgeUrl + ListPath, script: "distinct-searches.lua", scriptArguments: () => searches.NextRun(ListPath)),
    ];

    public IEnumerable<Side> WarmUp() => [.. Paths, Plaintext];

    /// <param name="results">Each figure is added as soon as it is measured.</param>
    public async Task MeasureAsync(ICollection<IMeasurement> results, CancellationToken token)
    {
        foreach (var side in Paths)
        {
            results.Add(await new Figure(side.Name, "req/s", side, Plaintext).MeasureAsync(meter, token));
        }
        if (searches.Exhausted)
        {
            Console.Error.WriteLine($"catalog.list.uncached asked for more than the {searches.Combinations:N0} distinct searches: some repeated.");
        }
    }
}
