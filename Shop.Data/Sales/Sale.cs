using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Shop.Data.Sales;

/// <summary>
/// A sale event. While it is live (between <see cref="StartsAt"/> and <see cref="EndsAt"/>, not ended) shoppers
/// queue in the waiting room and need an admission to order. The row is the source of truth every API instance
/// reloads each second; the queue itself lives in Redis.
/// </summary>
public sealed class Sale
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public DateTimeOffset StartsAt { get; set; }
    public DateTimeOffset EndsAt { get; set; }
    public int AdmissionsPerMinute { get; set; }
    public int MaxActiveShoppers { get; set; }
    public int SessionMinutes { get; set; }
    /// <summary>Accepted orders one admission allows.</summary>
    public int OrdersPerAdmission { get; set; } = 1;
    /// <summary>A waiter who has not asked for its status this long is skipped when its turn comes.</summary>
    public int AbandonAfterSeconds { get; set; } = 120;
    public required string QueueMode { get; set; }
    public required string WhenRedisDown { get; set; }
    public bool Paused { get; set; }
    /// <summary>Set when staff end the sale early; an ended sale never comes back.</summary>
    public DateTimeOffset? EndedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public bool IsLive(DateTimeOffset now) => EndedAt is null && StartsAt <= now && now < EndsAt;
}

/// <summary>One shopper let in from a sale's waiting room: the raw material of the funnel and time-in-queue reports.</summary>
public sealed class SaleAdmission
{
    public required string SaleId { get; set; }
    public long Position { get; set; }
    public DateTimeOffset JoinedAt { get; set; }
    public DateTimeOffset AdmittedAt { get; set; }
}

/// <summary>
/// An admission whose session ended before it used all its orders (the shopper left). Orders check it in Postgres, so a
/// spent admission is refused with or without Redis.
/// </summary>
public sealed class EndedAdmission
{
    public required string SaleId { get; set; }
    public required string AdmissionTicket { get; set; }
    public DateTimeOffset EndedAt { get; set; }
}

/// <summary>A sale's waiting-room counters as the admission loop last saw them in Redis, copied every few seconds.</summary>
public sealed class SaleQueueStats
{
    public required string SaleId { get; set; }
    public long Joined { get; set; }
    public long Waiting { get; set; }
    public long Admitted { get; set; }
    public long Active { get; set; }
    public long Abandoned { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public static class SaleQueueModes
{
    public const string Fifo = "Fifo";
    /// <summary>Everyone who joins before the start gets a random place at the start; later joiners queue behind them.</summary>
    public const string PreQueueLottery = "PreQueueLottery";
}

public static class RedisDownPolicies
{
    /// <summary>No new joins while Redis is down; admissions already issued keep working until they expire.</summary>
    public const string Closed = "Closed";
    /// <summary>The store lets everyone through while Redis is down.</summary>
    public const string Open = "Open";
}

internal sealed class SaleConfiguration : IEntityTypeConfiguration<Sale>
{
    public void Configure(EntityTypeBuilder<Sale> sale)
    {
        sale.Property(s => s.Id).HasMaxLength(64).ValueGeneratedNever();
        sale.Property(s => s.Name).HasMaxLength(200);
        sale.Property(s => s.QueueMode).HasMaxLength(16);
        sale.Property(s => s.WhenRedisDown).HasMaxLength(8);
        sale.ToTable(t =>
        {
            t.HasCheckConstraint("ck_sales_window", "ends_at > starts_at");
            t.HasCheckConstraint("ck_sales_queue_mode", $"queue_mode IN ('{SaleQueueModes.Fifo}', '{SaleQueueModes.PreQueueLottery}')");
            t.HasCheckConstraint("ck_sales_when_redis_down", $"when_redis_down IN ('{RedisDownPolicies.Closed}', '{RedisDownPolicies.Open}')");
        });
        sale.HasIndex(s => s.EndsAt);
    }
}

internal sealed class SaleAdmissionConfiguration : IEntityTypeConfiguration<SaleAdmission>
{
    public void Configure(EntityTypeBuilder<SaleAdmission> admission)
    {
        admission.HasKey(a => new { a.SaleId, a.Position });
        admission.Property(a => a.SaleId).HasMaxLength(64);
    }
}

internal sealed class EndedAdmissionConfiguration : IEntityTypeConfiguration<EndedAdmission>
{
    public void Configure(EntityTypeBuilder<EndedAdmission> ended)
    {
        ended.HasKey(e => new { e.SaleId, e.AdmissionTicket });
        ended.Property(e => e.SaleId).HasMaxLength(64);
        ended.Property(e => e.AdmissionTicket).HasMaxLength(32);
    }
}

internal sealed class SaleQueueStatsConfiguration : IEntityTypeConfiguration<SaleQueueStats>
{
    public void Configure(EntityTypeBuilder<SaleQueueStats> stats)
    {
        stats.HasKey(s => s.SaleId);
        stats.Property(s => s.SaleId).HasMaxLength(64);
    }
}
