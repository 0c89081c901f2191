using System.ComponentModel;

namespace Shop.Api.Catalog;

// [ImmutableObject(true)] on sealed types lets HybridCache hand out the cached instance itself instead of
// deserializing a fresh copy on every in-process hit.

[ImmutableObject(true)]
public sealed record CatalogItem(
    int Id, string Sku, string Name, decimal Price, string Currency, string Category, string CategoryName, string ImageUrl, bool InStock);

[ImmutableObject(true)]
public sealed record CatalogItemDetail(
    int Id, string Sku, string Name, string Description, decimal Price, string Currency, string Category, string CategoryName,
    string ImageUrl, bool InStock, int Stock, DateTimeOffset UpdatedAt);

[ImmutableObject(true)]
public sealed record CatalogPage(IReadOnlyList<CatalogItem> Items, int Page, int PageSize, int TotalCount);

[ImmutableObject(true)]
public sealed record CatalogCategory(string Slug, string Name, int ProductCount);

/// <summary>The categories as cached: a list is not immutable to HybridCache, so it would be copied on every hit; this is.</summary>
[ImmutableObject(true)]
public sealed record CatalogCategories(IReadOnlyList<CatalogCategory> Categories);

/// <summary>A validated list query; <see cref="Search"/> is the text as the shopper typed it (trimmed).</summary>
public sealed record CatalogListQuery(int Page, int PageSize, string? Search, string? Category);
