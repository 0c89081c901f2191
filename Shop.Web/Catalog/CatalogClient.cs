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

    public Task<CatalogPage?> ListAsync(int page, string? search = null, string? category = null, int pageSize = PageSize) =>
        http.GetFromJsonAsync<CatalogPage>(
            $"/api/catalog/items?page={page}&pageSize={pageSize}&q={Uri.EscapeDataString(search ?? "")}&category={Uri.EscapeDataString(category ?? "")}");

    public async Task<CatalogItemDetail?> FindAsync(int id)
    {
        using var response = await http.GetAsync($"/api/catalog/items/{id}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<CatalogItemDetail>();
    }

    public async Task<IReadOnlyList<CatalogCategory>> CategoriesAsync() =>
        await http.GetFromJsonAsync<List<CatalogCategory>>("/api/catalog/categories") ?? [];
}
