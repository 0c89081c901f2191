using Shop.Api.Platform;
using Shop.ServiceDefaults.Security;

namespace Shop.Api.Catalog;

public static class CatalogApi
{
    public const int MaxPageSize = 100;
    public const int MaxSearchLength = 100;

    public static IEndpointRouteBuilder MapCatalogApi(this IEndpointRouteBuilder app)
    {
        var catalog = app.MapGroup("/api/catalog").WithTags("Catalog");
        catalog.MapGet("/items", ListItems).WithName("ListCatalogItems");
        catalog.MapGet("/items/{id}", GetItem).WithName("GetCatalogItem");
        catalog.MapGet("/categories", ListCategories).WithName("ListCatalogCategories");
        return app;
    }

    /// <remarks>Parameters arrive as text so a bad value gets a message naming it, not a bare 400 from the binder.</remarks>
    public static async Task<Results<Ok<CatalogPage>, ValidationProblem>> ListItems(
        CatalogService catalog, string? page, string? pageSize, string? q, string? category, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var pageNumber = ParseInt(page, 1, nameof(page), 1, int.MaxValue / MaxPageSize, errors);
        var size = ParseInt(pageSize, 20, nameof(pageSize), 1, MaxPageSize, errors);
        if (q is { Length: > MaxSearchLength } || q is not null && !PlainText.IsPlain(q))
        {
            errors[nameof(q)] = [$"q must be at most {MaxSearchLength} characters long, without control characters."];
        }
        if (category is { Length: > 64 } || category is not null && !PlainText.IsPlain(category))
        {
            errors[nameof(category)] = ["category must be a category slug (at most 64 characters)."];
        }
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        var query = new CatalogListQuery(pageNumber, size, string.IsNullOrWhiteSpace(q) ? null : q.Trim(),
            string.IsNullOrWhiteSpace(category) ? null : category.Trim().ToLowerInvariant());
        return TypedResults.Ok(await catalog.ListAsync(query, cancellationToken));
    }

    public static async Task<Results<CachedJson<CatalogItemDetail>, ProblemHttpResult, ValidationProblem>> GetItem(
        CatalogService catalog, string id, CancellationToken cancellationToken)
    {
        if (!TryParseProductId(id, out var itemId))
        {
            return Problems.Invalid(new() { [nameof(id)] = [InvalidIdMessage] });
        }
        return await catalog.FindAsync(itemId, cancellationToken) is { } item
            ? new CachedJson<CatalogItemDetail>(item)
            : ProductNotFound(itemId);
    }

    public static async Task<CachedJson<IReadOnlyList<CatalogCategory>>> ListCategories(CatalogService catalog, CancellationToken cancellationToken) =>
        new((await catalog.CategoriesAsync(cancellationToken)).Categories);

    public const string InvalidIdMessage = "id must be a positive whole number.";

    /// <summary>Product ids arrive as text from the route so that "abc" or "1.5" is a 400 naming <c>id</c>, not a 404.</summary>
    public static bool TryParseProductId(string id, out int productId) =>
        int.TryParse(id, System.Globalization.NumberStyles.None, null, out productId) && productId >= 1;

    public static ProblemHttpResult ProductNotFound(int id) => Problems.NotFound("Product not found", $"There is no product with id {id}.");

    private static int ParseInt(string? text, int fallback, string name, int min, int max, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }
        if (int.TryParse(text, System.Globalization.NumberStyles.None, null, out var value) && value >= min && value <= max)
        {
            return value;
        }
        errors[name] = [$"{name} must be a whole number from {min} to {max}."];
        return fallback;
    }
}
