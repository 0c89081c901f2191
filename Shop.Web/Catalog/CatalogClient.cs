using System.Net;

namespace Shop.Web.Catalog;

public sealed record CatalogItem(int Id, string Sku, string Name, decimal Price, string Currency, string Category, string CategoryName, string ImageUrl, bool InStock);

public sealed record CatalogItemDetail(
    int Id, string Sku, string Name, string Description, decimal Price, string Currency, string Category, string CategoryName,
    string ImageUrl, bool InStock, int Stock);

public sealed record CatalogPage(IReadOnlyList<CatalogItem> Items, int Page, int PageSize, int TotalCount)
{
    public int PageCount => Math.Max(1, (TotalCount + PageSize - 1) / PageSize);
}

public sealed record CatalogCategory(string Slug, string Name, int ProductCount);

/// <summary>The storefront reads the catalog through the edge, like any other client, and so shares its cache.</summary>
public sealed class CatalogClient(HttpClient http)
{
    public const int PageSize = 24;
    /// <summary>The API refuses pages past int.MaxValue / 100 (its largest page size); a typed-in page number past it is simply empty.</summary>
    private const int MaxPage = int.MaxValue / 100;

    /// <remarks>Control characters in a search (a pasted <c>%00</c>) mean nothing to a shopper and are dropped, not sent on for a 400.</remarks>
    public Task<CatalogPage?> ListAsync(int page, string? search = null, string? category = null, int pageSize = PageSize) =>
        http.GetFromJsonAsync<CatalogPage>(
            $"/api/catalog/items?page={Math.Clamp(page, 1, MaxPage)}&pageSize={pageSize}&q={Uri.EscapeDataString(WithoutControls(search))}&category={Uri.EscapeDataString(WithoutControls(category))}");

    /// <returns>Null when there is no such product; ids below 1 never name one, so they are not sent to the API (which refuses them).</returns>
    public async Task<CatalogItemDetail?> FindAsync(int id)
    {
        if (id < 1)
        {
            return null;
        }
        using var response = await http.GetAsync($"/api/catalog/items/{id}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<CatalogItemDetail>();
    }

    private static string WithoutControls(string? text) => string.Concat((text ?? "").Where(c => !char.IsControl(c)));

    public async Task<IReadOnlyList<CatalogCategory>> CategoriesAsync() =>
        await http.GetFromJsonAsync<List<CatalogCategory>>("/api/catalog/categories") ?? [];
}
