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
/// again when the next list asks, anything else (the lists tag, a lost subscription) reads everything again. As a backstop
/// for announcements lost while Redis is away, the whole snapshot is read again once it is older than the list lifetime.
/// </remarks>
public sealed class CatalogSnapshot(IServiceScopeFactory scopes, IOptions<CdnOptions> cdn, IOptions<CatalogCacheOptions> options, TimeProvider clock)
{
    private Task<Snapshot>? refresh;
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
    /// How long a list waits for announced changes to be read before it is answered from the snapshot as it was. Normally a
    /// read takes milliseconds and every list sees every change already announced; under overload, when the read waits for
    /// a database connection behind every order in flight, lists must not queue behind it (they did, for minutes).
    /// </summary>
    public static readonly TimeSpan MaxRefreshWait = TimeSpan.FromSeconds(1);

    /// <summary>The products, ordered by id, as of the last announced change; reads the database only when something changed.</summary>
    /// <returns>The products, and whether this call waited for a read of the database.</returns>
    public async ValueTask<(IReadOnlyList<Entry> Products, bool Refreshed)> ProductsAsync(CancellationToken cancellationToken)
    {
        var snapshot = current;
        if (snapshot is not null && !IsStale(snapshot))
        {
            return (snapshot.Products, false);
        }
        if (snapshot is null)
        {
            return ((await Refresh().WaitAsync(cancellationToken)).Products, true);
        }
        var deadline = clock.GetUtcNow() + MaxRefreshWait;
        do
        {
            // A read already running may have started before the latest announcement: then one more follows it.
            try
            {
                snapshot = await Refresh().WaitAsync(deadline - clock.GetUtcNow() is { Ticks: > 0 } left ? left : TimeSpan.Zero, clock, cancellationToken);
            }
            catch (TimeoutException)
            {
                return (snapshot.Products, false);
            }
        }
        while (IsStale(snapshot) && clock.GetUtcNow() < deadline);
        return (snapshot.Products, true);
    }

    /// <summary>The read in flight, or a new one: one at a time, shared by every caller that waits for it.</summary>
    private Task<Snapshot> Refresh()
    {
        lock (changes)
        {
            if (refresh is { IsCompleted: false } running)
            {
                return running;
            }
            return refresh = Task.Run(async () =>
            {
                var read = await RefreshAsync(CancellationToken.None);
                current = read;
                return read;
            });
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
