using System.Diagnostics.Metrics;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Shop.Messaging;

namespace Shop.Api.Catalog;

/// <summary>
/// Catalog reads through a two-level cache: this process's memory first, then Redis, then Postgres.
/// Entries carry tags so a staff update can drop exactly what it changed.
/// </summary>
/// <remarks>
/// A singleton: a hit touches neither a scope nor a database context; the reader (and its pooled context) is taken only
/// when something must be read.
/// </remarks>
public sealed class CatalogService(
    HybridCache cache, IServiceScopeFactory scopes, CatalogSnapshot snapshot, CatalogCacheMetrics metrics, IOptions<CatalogCacheOptions> options)
{
    public const string ListsTag = CatalogChanges.ListsTag;

    public static string ItemTag(int id) => CatalogChanges.ItemTag(id);

    /// <summary>
    /// A page of the catalog, from this instance's <see cref="CatalogSnapshot"/>: a search matches the folded names with
    /// the folded search, exactly as the database's <c>LIKE</c> on <c>search_name</c> would, and no result is written
    /// anywhere (a search is rarely asked twice; answering it again costs less than storing it).
    /// </summary>
    public async Task<CatalogPage> ListAsync(CatalogListQuery query, CancellationToken cancellationToken)
    {
        var folded = query.Search is null ? null : await FoldAsync(query.Search, cancellationToken);
        var (products, refreshed) = await snapshot.ProductsAsync(cancellationToken);
        metrics.Record("list", hit: !refreshed);

        var skip = (long)(query.Page - 1) * query.PageSize;
        var items = new List<CatalogItem>(query.PageSize);
        var total = 0;
        foreach (var entry in products)
        {
            if ((query.Category is null || entry.Item.Category == query.Category)
                && (folded is null || entry.SearchName.Contains(folded, StringComparison.Ordinal)))
            {
                if (total >= skip && items.Count < query.PageSize)
                {
                    items.Add(entry.Item);
                }
                total++;
            }
        }
        return new CatalogPage(items, query.Page, query.PageSize, total);
    }

    /// <remarks>
    /// Only products that exist are cached: any number names an item, and a cache entry (in memory and in Redis) per
    /// number asked for would let anyone fill both without bound. A miss is one primary-key read each time.
    /// </remarks>
    public async Task<CatalogItemDetail?> FindAsync(int id, CancellationToken cancellationToken)
    {
        try
        {
            return await GetOrCreateAsync("item", $"catalog:item:{id}", [ItemTag(id)], options.Value.ItemExpiration,
                async (reader, ct) => await reader.FindAsync(id, ct) ?? throw new NoSuchProduct(), cancellationToken);
        }
        catch (NoSuchProduct)
        {
            return null;
        }
    }

    /// <summary>Thrown inside the cache's factory so that HybridCache stores nothing for a product that does not exist.</summary>
    private sealed class NoSuchProduct : Exception;

    public Task<CatalogCategories> CategoriesAsync(CancellationToken cancellationToken) =>
        GetOrCreateAsync("categories", "catalog:categories:v2", [ListsTag], options.Value.ListExpiration,
            async (reader, ct) => new CatalogCategories(await reader.CategoriesAsync(ct)), cancellationToken);

    /// <summary>Spellings of searches whose folding this process remembers at most: the words are anyone's, without bound.</summary>
    public const int MaxFoldsHeld = 10_000;

    // Its own cache with a size limit, not HybridCache's memory (which has none): each entry counts 1 against MaxFoldsHeld,
    // and once it is full a new spelling is folded by the database and not remembered until entries expire.
    private readonly MemoryCache folds = new(new MemoryCacheOptions { SizeLimit = MaxFoldsHeld });

    /// <summary>
    /// The database's folding of a search, remembered per spelling in this process as long as a list (up to
    /// <see cref="MaxFoldsHeld"/> spellings): it depends on nothing that changes while the shop runs, and a spelling seen
    /// again is then one memory lookup away from its list. Not in Redis: one round trip there costs about what the
    /// database's own answer does.
    /// </summary>
    private async ValueTask<string> FoldAsync(string search, CancellationToken cancellationToken)
    {
        if (folds.TryGetValue(search, out string? folded) && folded is not null)
        {
            return folded;
        }
        folded = await ReadAsync((reader, ct) => reader.FoldAsync(search, ct), cancellationToken);
        folds.Set(search, folded, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = options.Value.ListExpiration });
        return folded;
    }

    private async Task<T> GetOrCreateAsync<T>(
        string kind, string key, string[] tags, TimeSpan expiration, Func<CatalogReader, CancellationToken, Task<T>> load, CancellationToken cancellationToken)
    {
        var missed = false;
        var value = await cache.GetOrCreateAsync(key,
            async ct =>
            {
                missed = true;
                return await ReadAsync(load, ct);
            },
            new HybridCacheEntryOptions { Expiration = expiration, LocalCacheExpiration = expiration },
            tags, cancellationToken);
        metrics.Record(kind, hit: !missed);
        return value;
    }

    private async Task<T> ReadAsync<T>(Func<CatalogReader, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<CatalogReader>(), cancellationToken);
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
