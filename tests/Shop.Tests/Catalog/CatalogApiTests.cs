using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Catalog;

[Collection(ShopCollection.Name)]
public sealed class CatalogApiTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task Seeded_catalog_has_5000_products_in_at_least_20_categories()
    {
        using var edge = shop.EdgeClient();

        var categories = await edge.GetFromJsonAsync<List<CategoryDto>>("/api/catalog/categories");

        Assert.True(categories!.Count >= 20);
        Assert.Equal(5000, categories.Sum(c => c.ProductCount));
    }

    [Fact]
    public async Task Pages_are_consecutive_slices_of_the_whole_catalog()
    {
        using var edge = shop.EdgeClient();

        var first = await edge.GetFromJsonAsync<PageDto>("/api/catalog/items?page=1&pageSize=20");
        var second = await edge.GetFromJsonAsync<PageDto>("/api/catalog/items?page=2&pageSize=20");

        Assert.Equal(5000, second!.TotalCount);
        Assert.Equal((2, 20), (second.Page, second.PageSize));
        Assert.Equal(20, second.Items.Count);
        Assert.True(first!.Items[^1].Id < second.Items[0].Id);
        Assert.Equal(40, first.Items.Concat(second.Items).Select(i => i.Id).Distinct().Count());
    }

    [Fact]
    public async Task Search_matches_names_case_insensitively_like_the_database_does()
    {
        using var edge = shop.EdgeClient();

        var page = await edge.GetFromJsonAsync<PageDto>("/api/catalog/items?q=SwIfT%20LaP&pageSize=100");

        Assert.Equal(await CountInDatabaseAsync("name ILIKE '%swift lap%'"), page!.TotalCount);
        Assert.InRange(page.TotalCount, 1, 4999);
        Assert.All(page.Items, i => Assert.Contains("swift lap", i.Name, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Category_filter_returns_only_that_category()
    {
        using var edge = shop.EdgeClient();
        var categories = await edge.GetFromJsonAsync<List<CategoryDto>>("/api/catalog/categories");
        var laptops = categories!.Single(c => c.Slug == "laptops");

        var page = await edge.GetFromJsonAsync<PageDto>("/api/catalog/items?category=laptops&pageSize=100");

        Assert.Equal(laptops.ProductCount, page!.TotalCount);
        Assert.All(page.Items, i => Assert.Equal("laptops", i.Category));
    }

    [Fact]
    public async Task Item_detail_carries_the_description_and_matches_the_list()
    {
        using var edge = shop.EdgeClient();
        var listed = (await edge.GetFromJsonAsync<PageDto>("/api/catalog/items?pageSize=1"))!.Items.Single();

        var item = await edge.GetFromJsonAsync<ItemDto>($"/api/catalog/items/{listed.Id}");

        Assert.Equal((listed.Id, listed.Sku, listed.ImageUrl), (item!.Id, item.Sku, item.ImageUrl));
        Assert.False(string.IsNullOrWhiteSpace(item.Description));
        Assert.Equal("EUR", item.Currency);
    }

    [Fact]
    public async Task Unknown_item_is_a_404_problem()
    {
        using var edge = shop.EdgeClient();

        using var response = await edge.GetAsync("/api/catalog/items/999999");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { "/api/catalog/items?page=0", "page" },
        { "/api/catalog/items?page=abc", "page" },
        { "/api/catalog/items?page=-1", "page" },
        { "/api/catalog/items?pageSize=0", "pageSize" },
        { "/api/catalog/items?pageSize=101", "pageSize" },
        { "/api/catalog/items?pageSize=ten", "pageSize" },
        { $"/api/catalog/items?q={new string('x', 101)}", "q" },
        { "/api/catalog/items/abc", "id" },
        { "/api/catalog/items/-5", "id" },
        { "/api/catalog/items/1.5", "id" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_is_a_400_problem_naming_the_parameter(string url, string parameter)
    {
        using var edge = shop.EdgeClient();

        using var response = await edge.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(parameter, out _), $"errors does not name {parameter}");
    }

    private async Task<long> CountInDatabaseAsync(string condition)
    {
        await using var db = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        return (long)(await db.CreateCommand($"SELECT count(*) FROM products WHERE {condition}").ExecuteScalarAsync())!;
    }
}

public sealed record CategoryDto(string Slug, string Name, int ProductCount);

public sealed record ItemDto(int Id, string Sku, string Name, decimal Price, string Currency, string Category, string ImageUrl, bool InStock, string? Description);

public sealed record PageDto(List<ItemDto> Items, int Page, int PageSize, int TotalCount);
