using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shop.Data;
using Shop.Data.Catalog;

namespace Shop.Api.Catalog;

/// <summary>The catalog queries against Postgres; <see cref="CatalogService"/> puts the cache in front of them.</summary>
public sealed class CatalogReader(ShopDbContext db, IOptions<CdnOptions> cdn)
{
    /// <summary>Folds a search with the database's own <see cref="SearchFolding"/>, the rule the names were folded with.</summary>
    public async Task<string> FoldAsync(string search, CancellationToken cancellationToken) =>
        await db.Database.SqlQueryRaw<string>($"SELECT {SearchFolding.Function}({{0}}) AS \"Value\"", search).SingleAsync(cancellationToken);

    public async Task<CatalogItemDetail?> FindAsync(int id, CancellationToken cancellationToken) =>
        await db.Products.AsNoTracking()
            .Where(p => p.Id == id)
            .Select(p => new { Product = p, p.Category!.Slug, CategoryName = p.Category.Name })
            .Select(p => ToDetail(p.Product, p.Slug, p.CategoryName, cdn.Value))
            .SingleOrDefaultAsync(cancellationToken);

    public async Task<IReadOnlyList<CatalogCategory>> CategoriesAsync(CancellationToken cancellationToken) =>
        await db.Categories.AsNoTracking()
            .OrderBy(c => c.Name)
            .Select(c => new CatalogCategory(c.Slug, c.Name, c.Products.Count))
            .ToListAsync(cancellationToken);

    public static CatalogItemDetail ToDetail(Product p, string categorySlug, string categoryName, CdnOptions cdn) =>
        new(p.Id, p.Sku, p.Name, p.Description, p.Price, p.Currency, categorySlug, categoryName,
            cdn.ImageUrl(p.ImageKey), p.Stock > 0, p.Stock, p.UpdatedAt);
}
