using System.ComponentModel;
using System.Net;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;
using Shop.Web.Platform;

namespace Shop.Web.Catalog;

// [ImmutableObject(true)] on sealed types lets HybridCache hand out the cached instance itself, not a deserialised copy per hit.
[ImmutableObject(true)]
public sealed record CatalogItem(int Id, string Sku, string Name, decimal Price, string Currency, string Category, string CategoryName, string ImageUrl, bool InStock);

[ImmutableObject(true)]
public sealed record CatalogItemDetail(
    int Id, string Sku, string Name, string Description, decimal Price, string Currency, string Category, string CategoryName,
    string ImageUrl, bool InStock, int Stock);

[ImmutableObject(true)]
public sealed record CatalogPage(IReadOnlyList<CatalogItem> Items, int Page, int PageSize, int TotalCount)
{
    public int PageCount => Math.Max(1, (TotalCount + PageSize - 1) / PageSize);
}

public sealed record CatalogCategory(string Slug, string Name, int ProductCount);

/// <summary>The categories as cached: a list is not immutable to HybridCache, so it would be copied on every hit; this is.</summary>
[ImmutableObject(true)]
public sealed record CatalogCategories(IReadOnlyList<CatalogCategory> Items);

/// <summary>
/// The storefront's catalog reads: straight from the API instances (<see cref="ApiInstances"/>), and held in this
/// process for <see cref="CatalogReadOptions.CacheFor"/>, the edge's own freshness promise, so a hot page costs no call
/// per view. Only what has a bounded set of keys is held: products that exist, the categories, and browsing pages of
/// known categories; a search's words are the shopper's, without bound, and the API answers them from memory.
/// </summary>
public sealed class CatalogClient(ApiInstances api, HybridCache cache, IOptions<CatalogReadOptions> options)
{
    public const int PageSize = 24;
    /// <summary>The API refuses pages past int.MaxValue / 100 (its largest page size); a typed-in page number past it is simply empty.</summary>
    private const int MaxPage = int.MaxValue / 100;
    /// <summary>Browsing pages past this are rare enough to read every time; it bounds what the cache can hold.</summary>
    private const int MaxHeldPage = 10;

    private readonly HybridCacheEntryOptions held = new()
    {
        Expiration = options.Value.CacheFor,
        LocalCacheExpiration = options.Value.CacheFor,
        // This process only: a second copy in Redis would cost a call and be no fresher.
        Flags = HybridCacheEntryFlags.DisableDistributedCache,
    };

    private bool Holds => options.Value.CacheFor > TimeSpan.Zero;

    /// <remarks>Control characters in a search (a pasted <c>%00</c>) mean nothing to a shopper and are dropped, not sent on for a 400.</remarks>
    public async Task<CatalogPage?> ListAsync(int page, string? search = null, string? category = null, int pageSize = PageSize)
    {
        page = Math.Clamp(page, 1, MaxPage);
        var words = WithoutControls(search);
        var slug = WithoutControls(category);
        var path = $"/api/catalog/items?page={page}&pageSize={pageSize}&q={Uri.EscapeDataString(words)}&category={Uri.EscapeDataString(slug)}";
        if (!Holds || words.Length > 0 || page > MaxHeldPage || slug.Length > 0 && !(await CategoriesAsync()).Any(c => c.Slug == slug))
        {
            return await ReadAsync<CatalogPage>(path, CancellationToken.None);
        }
        return await cache.GetOrCreateAsync($"catalog:list:{pageSize}:{page}:{slug}", (api, path),
            static (state, ct) => new ValueTask<CatalogPage?>(ReadAsync<CatalogPage>(state.api, state.path, ct)), held);
    }

    /// <returns>Null when there is no such product; ids below 1 never name one, so they are not sent to the API (which refuses them).</returns>
    public async Task<CatalogItemDetail?> FindAsync(int id)
    {
        if (id < 1)
        {
            return null;
        }
        if (!Holds)
        {
            return await FindAsync(api, id, CancellationToken.None);
        }
        try
        {
            return await cache.GetOrCreateAsync($"catalog:item:{id}", (api, id),
                static async (state, ct) => await FindAsync(state.api, state.id, ct) ?? throw new NoSuchProduct(), held);
        }
        catch (NoSuchProduct)
        {
            // Not held: any number names a product page, and a cache of the ones that do not exist would have no bound.
            return null;
        }
    }

    public async Task<IReadOnlyList<CatalogCategory>> CategoriesAsync()
    {
        const string path = "/api/catalog/categories";
        if (!Holds)
        {
            return await ReadAsync<List<CatalogCategory>>(path, CancellationToken.None) ?? [];
        }
        var categories = await cache.GetOrCreateAsync("catalog:categories", api,
            static async (api, ct) => new CatalogCategories(await ReadAsync<List<CatalogCategory>>(api, path, ct) ?? []), held);
        return categories.Items;
    }

    private Task<T?> ReadAsync<T>(string path, CancellationToken cancellationToken) => ReadAsync<T>(api, path, cancellationToken);

    private static async Task<T?> ReadAsync<T>(ApiInstances api, string path, CancellationToken cancellationToken)
    {
        using var response = await api.GetAsync(path, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<T>(cancellationToken);
    }

    private static async Task<CatalogItemDetail?> FindAsync(ApiInstances api, int id, CancellationToken cancellationToken)
    {
        using var response = await api.GetAsync($"/api/catalog/items/{id}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<CatalogItemDetail>(cancellationToken);
    }

    private static string WithoutControls(string? text) => string.Concat((text ?? "").Where(c => !char.IsControl(c)));

    private sealed class NoSuchProduct : Exception;
}
