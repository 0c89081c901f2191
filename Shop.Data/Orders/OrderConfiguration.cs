using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shop.Data.Catalog;

namespace Shop.Data.Orders;

internal sealed class OrderConfiguration : IEntityTypeConfiguration<Order>
{
    public void Configure(EntityTypeBuilder<Order> order)
    {
        order.Property(o => o.Id).ValueGeneratedNever();
        order.Property(o => o.IdempotencyKey).HasMaxLength(64);
        order.Property(o => o.RequestHash).HasMaxLength(64);
        order.Property(o => o.CustomerEmail).HasMaxLength(254);
        order.Property(o => o.CustomerName).HasMaxLength(200);
        order.Property(o => o.Status).HasMaxLength(16);
        order.Property(o => o.Reason).HasMaxLength(32);
        order.Property(o => o.Total).HasColumnType("numeric(14,2)");
        order.Property(o => o.Currency).HasMaxLength(3).IsFixedLength();
        order.ToTable(t => t.HasCheckConstraint("ck_orders_status",
            $"status IN ('{OrderStatus.Pending}', '{OrderStatus.Accepted}', '{OrderStatus.Confirmed}', '{OrderStatus.Rejected}')"));
        // Two requests with one key must land on one row, however close together they arrive.
        order.HasIndex(o => o.IdempotencyKey).IsUnique();
        order.HasIndex(o => o.CreatedAt);
        order.Property(o => o.SaleId).HasMaxLength(64);
        order.Property(o => o.AdmissionTicket).HasMaxLength(32);
        order.HasIndex(o => new { o.SaleId, o.AdmissionTicket, o.AdmissionSlot }).IsUnique();
        // The waiting room's health check asks for the oldest order still waiting for the worker, every second. The
        // filter is on applied_at, which only the worker sets, not on status: an index on status would make intake's
        // Pending → Accepted mark a non-HOT update that writes an entry into every index of the table.
        order.HasIndex([nameof(Order.CreatedAt)], "UnappliedByCreatedAt").HasDatabaseName("ix_orders_unapplied_created_at").HasFilter("applied_at IS NULL");
        // Room in each page for the Accepted version of the rows written there, so the mark stays on the page (HOT).
        order.HasStorageParameter("fillfactor", 70);
        order.HasMany(o => o.Lines).WithOne().HasForeignKey(l => l.OrderId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class OrderLineConfiguration : IEntityTypeConfiguration<OrderLine>
{
    public void Configure(EntityTypeBuilder<OrderLine> line)
    {
        line.HasKey(l => new { l.OrderId, l.ProductId });
        line.Property(l => l.UnitPrice).HasColumnType("numeric(12,2)");
        line.Property(l => l.ProductName).HasMaxLength(200);
        line.Property(l => l.ProductSku).HasMaxLength(32);
        line.ToTable(t => t.HasCheckConstraint("ck_order_lines_quantity", "quantity BETWEEN 1 AND 10"));
        line.HasOne<Product>().WithMany().HasForeignKey(l => l.ProductId).OnDelete(DeleteBehavior.Restrict);
        line.HasIndex(l => l.ProductId);
    }
}

internal sealed class AppliedOrderConfiguration : IEntityTypeConfiguration<AppliedOrder>
{
    public void Configure(EntityTypeBuilder<AppliedOrder> applied)
    {
        applied.HasKey(a => a.OrderId);
        applied.Property(a => a.OrderId).ValueGeneratedNever();
    }
}
