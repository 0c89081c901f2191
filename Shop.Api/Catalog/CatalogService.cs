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

    /// <summary>
    /// A page of the catalog. A search is keyed by its folded form, the very text the database matches, so every spelling
    /// that the database treats alike ("CRÈME", "creme") shares one entry, and no entry can hold another spelling's answer.
    /// </summary>
    public async Task<CatalogPage> ListAsync(CatalogListQuery query, CancellationToken cancellationToken)
    {
        var folded = query.Search is null ? null : await FoldAsync(query.Search, cancellationToken);
        // The category's length keeps the key unambiguous: "a:b" + "c" and "a" + "b:c" are different lists.
        return await GetOrCreateAsync("list", $"catalog:list:{query.Page}:{query.PageSize}:{query.Category?.Length}:{query.Category}:{folded}", [ListsTag],
            options.Value.ListExpiration, ct => reader.ListAsync(query, folded, ct), cancellationToken);
    }

    public Task<CatalogItemDetail?> FindAsync(int id, CancellationToken cancellationToken) =>
        GetOrCreateAsync("item", $"catalog:item:{id}", [ItemTag(id)], options.Value.ItemExpiration,
            ct => reader.FindAsync(id, ct), cancellationToken);

    public Task<IReadOnlyList<CatalogCategory>> CategoriesAsync(CancellationToken cancellationToken) =>
        GetOrCreateAsync("categories", "catalog:categories", [ListsTag], options.Value.ListExpiration,
            reader.CategoriesAsync, cancellationToken);

    /// <summary>
    /// The database's folding of a search, remembered per spelling as long as a list: it depends on nothing that changes
    /// while the shop runs, and a spelling seen again is then one memory lookup away from its list.
    /// </summary>
    private ValueTask<string> FoldAsync(string search, CancellationToken cancellationToken) =>
        cache.GetOrCreateAsync($"catalog:fold:{search}", ct => new ValueTask<string>(reader.FoldAsync(search, ct)),
            new HybridCacheEntryOptions { Expiration = options.Value.ListExpiration, LocalCacheExpiration = options.Value.ListExpiration },
            cancellationToken: cancellationToken);

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
