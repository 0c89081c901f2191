using System.Diagnostics.Metrics;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;
using Shop.Messaging;

namespace Shop.Api.Catalog;

/// <summary>
/// Catalog reads through a two-level cache: this process's memory first, then Redis, then Postgres.
/// Entries carry tags so a staff update can drop exactly what it changed.
/// </summary>
public sealed class CatalogService(HybridCache cache, CatalogReader reader, CatalogCacheMetrics metrics, IOptions<CatalogCacheOptions> options)
{
    public const string ListsTag = CatalogChanges.ListsTag;

    public static string ItemTag(int id) => CatalogChanges.ItemTag(id);

    public Task<CatalogPage> ListAsync(CatalogListQuery query, CancellationToken cancellationToken) =>
        GetOrCreateAsync("list", query.CacheKey, [ListsTag], options.Value.ListExpiration,
            ct => reader.ListAsync(query, ct), cancellationToken);

    public Task<CatalogItemDetail?> FindAsync(int id, CancellationToken cancellationToken) =>
        GetOrCreateAsync("item", $"catalog:item:{id}", [ItemTag(id)], options.Value.ItemExpiration,
            ct => reader.FindAsync(id, ct), cancellationToken);

    public Task<IReadOnlyList<CatalogCategory>> CategoriesAsync(CancellationToken cancellationToken) =>
        GetOrCreateAsync("categories", "catalog:categories", [ListsTag], options.Value.ListExpiration,
            reader.CategoriesAsync, cancellationToken);

    private async Task<T> GetOrCreateAsync<T>(
        string kind, string key, string[] tags, TimeSpan expiration, Func<CancellationToken, Task<T>> load, CancellationToken cancellationToken)
    {
        var missed = false;
        var value = await cache.GetOrCreateAsync(key,
            async ct =>
            {
                missed = true;
                return await load(ct);
            },
            new HybridCacheEntryOptions { Expiration = expiration, LocalCacheExpiration = expiration },
            tags, cancellationToken);
        metrics.Record(kind, hit: !missed);
        return value;
    }
}

/// <summary>Cache hits and misses, as <c>shop.catalog.cache.lookups</c> tagged with the kind of read and the result.</summary>
public sealed class CatalogCacheMetrics
{
    public const string MeterName = "Shop.Catalog";
    private readonly Counter<long> lookups;

    public CatalogCacheMetrics(IMeterFactory meters) =>
        lookups = meters.Create(MeterName).CreateCounter<long>("shop.catalog.cache.lookups", description: "Catalog cache lookups by result");

    public void Record(string kind, bool hit) =>
        lookups.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));
}
