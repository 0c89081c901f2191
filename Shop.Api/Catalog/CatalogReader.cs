using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shop.Data;
using Shop.Data.Catalog;

namespace Shop.Api.Catalog;

/// <summary>The catalog queries against Postgres; <see cref="CatalogService"/> puts the cache in front of them.</summary>
public sealed class CatalogReader(ShopDbContext db, IOptions<CdnOptions> cdn)
{
    /// <param name="foldedSearch">The query's search as <see cref="FoldAsync"/> folded it; matched against the names folded the same way.</param>
    public async Task<CatalogPage> ListAsync(CatalogListQuery query, string? foldedSearch, CancellationToken cancellationToken)
    {
        var products = db.Products.AsNoTracking();
        if (query.Category is not null)
        {
            products = products.Where(p => p.Category!.Slug == query.Category);
        }
        if (foldedSearch is not null)
        {
            products = products.Where(p => EF.Functions.Like(p.SearchName, $"%{EscapeLike(foldedSearch)}%", @"\"));
        }

        var total = await products.CountAsync(cancellationToken);
        var page = await products
            .OrderBy(p => p.Id)
            .Skip((query.Page - 1) * query.PageSize)
            .Take(query.PageSize)
            .Select(p => new { p.Id, p.Sku, p.Name, p.Price, p.Currency, p.Category!.Slug, CategoryName = p.Category.Name, p.ImageKey, p.Stock })
            .ToListAsync(cancellationToken);

        return new CatalogPage(
            [.. page.Select(p => new CatalogItem(p.Id, p.Sku, p.Name, p.Price, p.Currency, p.Slug, p.CategoryName,
                cdn.Value.ImageUrl(p.ImageKey), p.Stock > 0))],
            query.Page, query.PageSize, total);
    }

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

    /// <summary>A shopper searching for "50%" means the characters, not a wildcard.</summary>
    private static string EscapeLike(string text) =>
        text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_");
}
