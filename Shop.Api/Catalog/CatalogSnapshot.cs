using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shop.Data;

namespace Shop.Api.Catalog;

/// <summary>
/// Every product as a list shows it, with its folded name, in this process's memory: 5,000 products are a few
/// hundred kilobytes, and a search over them is a few thousand ordinal <c>Contains</c> calls instead of two scans in
/// Postgres and a Redis entry nobody reads again. The names are folded by the database (<c>products.search_name</c>),
/// and a search is folded by the same function, so memory matches exactly what the database would.
/// </summary>
/// <remarks>
/// Kept fresh by the catalog's invalidation channel (<see cref="CatalogInvalidation"/>): an announced item is read
/// again (in the background) when the next list asks, anything else (the lists tag, a lost subscription) reads everything again. As a backstop
/// for announcements lost while Redis is away, the whole snapshot is read again once it is older than the list lifetime.
/// </remarks>
public sealed class CatalogSnapshot(
    IServiceScopeFactory scopes, IOptions<CdnOptions> cdn, IOptions<CatalogCacheOptions> options, TimeProvider clock, ILogger<CatalogSnapshot> logger)
{
    private readonly SemaphoreSlim refreshing = new(1, 1);
    private readonly Lock changes = new();
    private HashSet<int> changed = [];
    private bool everything = true;
    private volatile Snapshot? current;

    /// <summary>A product in a list, and its name as the database folded it.</summary>
    public sealed record Entry(CatalogItem Item, string SearchName);

    private sealed record Snapshot(Entry[] Products, DateTimeOffset LoadedAt);

    /// <summary>Announced changes to these products: they are read again before the next list is answered.</summary>
    public void Changed(IEnumerable<int> productIds)
    {
        lock (changes)
        {
            changed.UnionWith(productIds);
        }
    }

    /// <summary>Anything may have changed: everything is read again before the next list is answered.</summary>
    public void ChangedEverything()
    {
        lock (changes)
        {
            everything = true;
        }
    }

    /// <summary>
    /// The products, ordered by id. Once there is a snapshot, every caller is answered from it at once; when a change was
    /// announced (or the snapshot is older than the list lifetime) one caller starts reading the changes in the background,
    /// and the callers after it see them. Under load a list must not wait for a database connection behind every order in
    /// flight: waiting callers would pile up behind each announced stock change, a convoy in which searches took minutes.
    /// Only the very first list waits for the database.
    /// </summary>
    /// <returns>The products, and whether this call read them (the first load).</returns>
    public async ValueTask<(IReadOnlyList<Entry> Products, bool Refreshed)> ProductsAsync(CancellationToken cancellationToken)
    {
        if (current is { } snapshot)
        {
            if (IsStale(snapshot) && refreshing.Wait(0))
            {
                _ = RefreshInBackgroundAsync();
            }
            return (snapshot.Products, false);
        }
        await refreshing.WaitAsync(cancellationToken);
        try
        {
            if (current is { } loaded)
            {
                return (loaded.Products, false); // another caller loaded it while this one waited
            }
            var first = await RefreshAsync(cancellationToken);
            current = first;
            return (first.Products, true);
        }
        finally
        {
            refreshing.Release();
        }
    }

    /// <summary>Runs while holding <see cref="refreshing"/>, and releases it.</summary>
    private async Task RefreshInBackgroundAsync()
    {
        try
        {
            current = await RefreshAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            // The changes stay pending (RefreshAsync puts them back), so the next list tries again; until then lists
            // are answered from the snapshot as it was.
            logger.LogWarning(e, "Could not read the announced catalog changes; lists are answered from the snapshot meanwhile");
        }
        finally
        {
            refreshing.Release();
        }
    }

    private bool IsStale(Snapshot snapshot)
    {
        if (clock.GetUtcNow() - snapshot.LoadedAt >= options.Value.ListExpiration)
        {
            return true;
        }
        lock (changes)
        {
            return everything || changed.Count > 0;
        }
    }

    private async Task<Snapshot> RefreshAsync(CancellationToken cancellationToken)
    {
        HashSet<int> ids;
        bool all;
        // Taken before reading: a change announced while the database is read is read again next time.
        lock (changes)
        {
            (ids, changed) = (changed, []);
            (all, everything) = (everything, false);
        }
        var loadedAt = clock.GetUtcNow();
        try
        {
            if (all || current is null || loadedAt - current.LoadedAt >= options.Value.ListExpiration)
            {
                return new Snapshot([.. await ReadAsync(null, cancellationToken)], loadedAt);
            }
            // An announced product is replaced by what the database holds now (nothing, if it was removed).
            var read = await ReadAsync(ids, cancellationToken);
            var products = current.Products.Where(e => !ids.Contains(e.Item.Id)).Concat(read).OrderBy(e => e.Item.Id).ToArray();
            return new Snapshot(products, current.LoadedAt);
        }
        catch
        {
            // Not read after all: the next caller tries again.
            lock (changes)
            {
                changed.UnionWith(ids);
                everything |= all;
            }
            throw;
        }
    }

    private async Task<List<Entry>> ReadAsync(HashSet<int>? ids, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var products = scope.ServiceProvider.GetRequiredService<ShopDbContext>().Products.AsNoTracking();
        if (ids is not null)
        {
            var wanted = ids.ToArray();
            products = products.Where(p => wanted.Contains(p.Id));
        }
        var rows = await products
            .OrderBy(p => p.Id)
            .Select(p => new { p.Id, p.Sku, p.Name, p.SearchName, p.Price, p.Currency, p.Category!.Slug, CategoryName = p.Category.Name, p.ImageKey, p.Stock })
            .ToListAsync(cancellationToken);
        return [.. rows.Select(p => new Entry(
            new CatalogItem(p.Id, p.Sku, p.Name, p.Price, p.Currency, p.Slug, p.CategoryName, cdn.Value.ImageUrl(p.ImageKey), p.Stock > 0),
            p.SearchName))];
    }
}
