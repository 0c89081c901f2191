using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shop.Api.Admin;
using Shop.Api.Platform;
using Shop.Data;
using Shop.ServiceDefaults.Security;

namespace Shop.Api.Catalog;

/// <summary>Fields a staff member may change; any left out stay as they are.</summary>
public sealed record CatalogItemUpdate(decimal? Price, int? Stock, string? Name);

/// <summary>Staff change a product; every instance's caches drop it once the change is committed.</summary>
public static class CatalogAdminApi
{
    public const decimal MaxPrice = 1_000_000m;

    public static IEndpointRouteBuilder MapCatalogAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin/catalog").WithTags("Admin").RequireAdminKey();
        admin.MapPut("/items/{id}", UpdateItem).WithName("UpdateCatalogItem");
        return app;
    }

    public static async Task<Results<Ok<CatalogItemDetail>, ProblemHttpResult, ValidationProblem>> UpdateItem(
        string id, CatalogItemUpdate update, ShopDbContext db, CatalogInvalidation invalidation,
        IOptions<CdnOptions> cdn, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = Validate(id, update, out var itemId);
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        // One statement that writes only the fields sent: the worker's stock decrements and other staff changes
        // made meanwhile are never overwritten with values read before them.
        var (price, stock, name, now) = (update.Price, update.Stock, update.Name?.Trim(), clock.GetUtcNow());
        var changed = await db.Products.Where(p => p.Id == itemId).ExecuteUpdateAsync(s => s
            .SetProperty(p => p.Price, p => price ?? p.Price)
            .SetProperty(p => p.Stock, p => stock ?? p.Stock)
            .SetProperty(p => p.Name, p => name ?? p.Name)
            .SetProperty(p => p.UpdatedAt, now), cancellationToken);
        if (changed == 0)
        {
            return CatalogApi.ProductNotFound(itemId);
        }
        var product = await db.Products.AsNoTracking().Include(p => p.Category).SingleAsync(p => p.Id == itemId, cancellationToken);

        // Only after the commit: an instance that reloads now must read the new values.
        await invalidation.InvalidateAsync([CatalogService.ItemTag(itemId), CatalogService.ListsTag], cancellationToken);
        return TypedResults.Ok(CatalogReader.ToDetail(product, product.Category!.Slug, product.Category.Name, cdn.Value));
    }

    private static Dictionary<string, string[]> Validate(string id, CatalogItemUpdate update, out int itemId)
    {
        var errors = new Dictionary<string, string[]>();
        if (!CatalogApi.TryParseProductId(id, out itemId))
        {
            errors["id"] = [CatalogApi.InvalidIdMessage];
        }
        if (update.Price is null && update.Stock is null && update.Name is null)
        {
            errors["body"] = ["Send at least one of price, stock or name."];
        }
        if (update.Price is { } price && (price <= 0 || price > MaxPrice || decimal.Round(price, 2) != price))
        {
            errors["price"] = [$"price must be more than 0 and at most {MaxPrice}, with at most two decimals."];
        }
        if (update.Stock is { } stock && stock < 0)
        {
            errors["stock"] = ["stock must be 0 or more."];
        }
        if (update.Name is { } name && (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 200 || !PlainText.IsPlain(name)))
        {
            errors["name"] = ["name must be 1 to 200 characters, not blank, without control characters."];
        }
        return errors;
    }
}
