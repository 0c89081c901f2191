using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.EntityFrameworkCore;
using Shop.Data;
using Shop.Data.Catalog;

namespace Shop.MigrationService.Seeding;

/// <summary>
/// Loads the generated catalog once. Images go up first so no product ever points at a missing picture;
/// the rows then go in one transaction, and only into an empty catalog, so a second run changes nothing
/// (not even prices staff have edited since).
/// </summary>
public sealed class CatalogSeeder(ShopDbContext db, BlobContainerClient assets, TimeProvider clock, ILogger<CatalogSeeder> logger)
{
    private const string CacheControl = "public, max-age=31536000, immutable";

    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        var products = CatalogGenerator.Products().ToList();
        var images = products.Select(p => (p.Category, p.Color)).Distinct()
            .ToDictionary(k => k, k => ProductImage.For(k.Category, k.Color));

        var uploaded = await UploadMissingAsync(images.Values, cancellationToken);

        if (await db.Categories.AnyAsync(cancellationToken))
        {
            logger.LogInformation("Catalog already seeded; uploaded {Count} missing image(s)", uploaded);
            return;
        }

        var categories = CatalogGenerator.Categories.ToDictionary(c => c, c => new Category { Slug = c.Slug, Name = c.Name });
        db.Categories.AddRange(categories.Values);
        var now = clock.GetUtcNow();
        db.Products.AddRange(products.Select(p => new Product
        {
            Sku = p.Sku,
            Name = p.Name,
            Description = p.Description,
            Category = categories[p.Category],
            Price = p.Price,
            Currency = CatalogGenerator.Currency,
            Stock = p.Stock,
            ImageKey = images[(p.Category, p.Color)].Key,
            UpdatedAt = now,
        }));
        // One SaveChanges is one transaction: the catalog appears whole or not at all.
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Seeded {Products} products in {Categories} categories, {Images} images uploaded",
            products.Count, categories.Count, uploaded);
    }

    private async Task<int> UploadMissingAsync(IEnumerable<ProductImage> images, CancellationToken cancellationToken)
    {
        // Publicly readable: the CDN fetches the images anonymously. The AppHost's readiness probe makes it too; on a
        // cluster nothing else does. (A production storage account may forbid public containers: make it there beforehand.)
        await assets.CreateIfNotExistsAsync(PublicAccessType.Blob, cancellationToken: cancellationToken);
        var uploaded = 0;
        foreach (var image in images)
        {
            var blob = assets.GetBlobClient(image.Key);
            if (await blob.ExistsAsync(cancellationToken))
            {
                continue; // same name, same content: the name is the content's hash
            }
            await blob.UploadAsync(new BinaryData(image.Content), new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = ProductImage.ContentType, CacheControl = CacheControl },
            }, cancellationToken);
            uploaded++;
        }
        return uploaded;
    }
}
