namespace Shop.Data.Catalog;

public sealed class Product
{
    public int Id { get; set; }
    public required string Sku { get; set; }
    public required string Name { get; set; }
    public required string Description { get; set; }
    public int CategoryId { get; set; }
    public Category? Category { get; set; }
    public decimal Price { get; set; }
    public required string Currency { get; set; }
    public int Stock { get; set; }
    public required string ImageKey { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
