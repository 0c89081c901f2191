using System.Globalization;
using Npgsql;
using Shop.Bench.Cpu;

namespace Shop.Bench.Storefront;

/// <summary>
/// <c>storefront.product</c>: the storefront's product page (<c>/product/{id}</c>, server-rendered) through the edge
/// for ids spread over the whole catalog, against the edge's plaintext floor.
/// </summary>
public sealed class StorefrontBench(BenchShop shop, Baseline baseline, CpuMeter meter, long firstId, long lastId)
{
    public static async Task<StorefrontBench> CreateAsync(BenchShop shop, Baseline baseline, CpuMeter meter, CancellationToken token)
    {
        await using var database = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using var query = database.CreateCommand("SELECT min(id)::bigint, max(id)::bigint FROM products");
        await using var reader = await query.ExecuteReaderAsync(token);
        await reader.ReadAsync(token);
        return new StorefrontBench(shop, baseline, meter, reader.GetInt64(0), reader.GetInt64(1));
    }

    private Side Pages => Side.Wrk("storefront.product", shop.EdgeUrl + "/", script: "product-pages.lua",
        scriptArguments: () => [firstId.ToString(CultureInfo.InvariantCulture), lastId.ToString(CultureInfo.InvariantCulture)]);

    public IEnumerable<Side> WarmUp() => [Pages];

    public async Task MeasureAsync(ICollection<IMeasurement> results, CancellationToken token) =>
        results.Add(await new Figure("storefront.product", "req/s", Pages, Side.Wrk("edge.plaintext", baseline.EdgeUrl + Baseline.PlaintextPath)).MeasureAsync(meter, token));
}
