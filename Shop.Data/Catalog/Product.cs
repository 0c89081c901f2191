namespace Shop.Data.Catalog;

public sealed class Product
{
    public int Id { get; set; }
    public required string Sku { get; set; }
    public required string Name { get; set; }
    /// <summary>
    /// <see cref="Name"/> folded by the database's <c>shop_search_fold</c> (case and accents removed, every script); computed
    /// by Postgres on every write, so search can never see a stale or differently folded copy.
    /// </summary>
    public string SearchName { get; private set; } = "";
    public required string Description { get; set; }
    public int CategoryId { get; set; }
    public Category? Category { get; set; }
    public decimal Price { get; set; }
    public required string Currency { get; set; }
    public int Stock { get; set; }
    public required string ImageKey { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
