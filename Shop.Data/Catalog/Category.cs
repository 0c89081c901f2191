namespace Shop.Data.Catalog;

public sealed class Category
{
    public int Id { get; set; }
    public required string Slug { get; set; }
    public required string Name { get; set; }
    public List<Product> Products { get; set; } = [];
}
