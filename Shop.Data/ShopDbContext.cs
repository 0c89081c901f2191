using Microsoft.EntityFrameworkCore;
using Shop.Data.Catalog;
using Shop.Data.Orders;
using Shop.Data.Sales;

namespace Shop.Data;

/// <summary>The shop's relational model. Written on the primary; staff reports read the same tables on the replica.</summary>
public sealed class ShopDbContext(DbContextOptions<ShopDbContext> options) : DbContext(options)
{
    public DbSet<Category> Categories => Set<Category>();
    public DbSet<Product> Products => Set<Product>();
    public DbSet<Order> Orders => Set<Order>();
    public DbSet<OrderLine> OrderLines => Set<OrderLine>();
    public DbSet<AppliedOrder> AppliedOrders => Set<AppliedOrder>();
    public DbSet<Sale> Sales => Set<Sale>();
    public DbSet<SaleAdmission> SaleAdmissions => Set<SaleAdmission>();
    public DbSet<EndedAdmission> EndedAdmissions => Set<EndedAdmission>();
    public DbSet<SaleQueueStats> SaleQueueStats => Set<SaleQueueStats>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.HasPostgresExtension("pg_trgm").HasPostgresExtension("unaccent")
            .ApplyConfigurationsFromAssembly(typeof(ShopDbContext).Assembly);
}
