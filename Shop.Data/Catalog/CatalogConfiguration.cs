using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Shop.Data.Catalog;

internal sealed class CategoryConfiguration : IEntityTypeConfiguration<Category>
{
    public void Configure(EntityTypeBuilder<Category> category)
    {
        category.Property(c => c.Slug).HasMaxLength(64);
        category.Property(c => c.Name).HasMaxLength(100);
        category.HasIndex(c => c.Slug).IsUnique();
    }
}

internal sealed class ProductConfiguration : IEntityTypeConfiguration<Product>
{
    public void Configure(EntityTypeBuilder<Product> product)
    {
        // The database, not the application, is the last line against overselling.
        product.ToTable(t => t.HasCheckConstraint("ck_products_stock_non_negative", "stock >= 0"));
        product.Property(p => p.Sku).HasMaxLength(32);
        product.Property(p => p.Name).HasMaxLength(200);
        product.Property(p => p.Description).HasMaxLength(4000);
        product.Property(p => p.Price).HasColumnType("numeric(12,2)");
        product.Property(p => p.Currency).HasMaxLength(3).IsFixedLength();
        product.Property(p => p.ImageKey).HasMaxLength(200);
        product.HasIndex(p => p.Sku).IsUnique();
        product.HasIndex(p => new { p.CategoryId, p.Id });
        // "Name contains" search compares folded text (SearchFolding) with LIKE '%q%', which only a trigram index serves.
        product.Property(p => p.SearchName).HasComputedColumnSql($"{SearchFolding.Function}(name)", stored: true);
        product.HasIndex(p => p.SearchName).HasMethod("gin").HasOperators("gin_trgm_ops");
    }
}
