using System.Globalization;
using Shop.Data.Catalog;

namespace Shop.MigrationService.Seeding;

/// <summary>
/// Generates the same catalog every time: tests may rely on product 1's name, a category's size, and so on.
/// Readable names come from fixed word lists; a seeded <see cref="Random"/> picks among them.
/// </summary>
public static class CatalogGenerator
{
    public const int ProductCount = 5000;
    public const string Currency = "EUR";

    private static readonly string[] Brands =
        ["Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adventure", "Proseware", "Wingtip", "Alpine", "Lucerne", "Margie", "Humongous"];

    private static readonly string[] Adjectives =
        ["Swift", "Classic", "Pro", "Compact", "Ultra", "Silent", "Bold", "Smart", "Eco", "Prime", "Nova", "Urban", "Rugged", "Lite", "Max", "Zen"];

    private static readonly string[] Qualities =
        ["built to last", "designed for everyday use", "tuned for performance", "made with recycled materials", "easy to set up", "quiet and efficient"];

    /// <summary>Category name, slug, the product types it sells, and its price range in euros.</summary>
    public static readonly IReadOnlyList<CategorySpec> Categories =
    [
        new("Laptops", "laptops", ["Laptop", "Ultrabook", "Notebook"], 499, 2499),
        new("Phones", "phones", ["Phone", "Smartphone"], 149, 1299),
        new("Tablets", "tablets", ["Tablet", "E-Reader"], 99, 1099),
        new("Headphones", "headphones", ["Headphones", "Earbuds", "Headset"], 19, 449),
        new("Speakers", "speakers", ["Speaker", "Soundbar", "Subwoofer"], 29, 899),
        new("Cameras", "cameras", ["Camera", "Action Cam", "Lens"], 149, 2999),
        new("Televisions", "televisions", ["TV", "OLED TV", "Projector"], 299, 3499),
        new("Monitors", "monitors", ["Monitor", "Display"], 129, 1499),
        new("Keyboards", "keyboards", ["Keyboard", "Keypad"], 19, 249),
        new("Mice", "mice", ["Mouse", "Trackball", "Trackpad"], 9, 149),
        new("Smartwatches", "smartwatches", ["Smartwatch", "Fitness Band"], 49, 899),
        new("Gaming", "gaming", ["Console", "Controller", "Racing Wheel"], 29, 699),
        new("Printers", "printers", ["Printer", "Scanner"], 69, 799),
        new("Networking", "networking", ["Router", "Mesh System", "Switch"], 29, 599),
        new("Storage", "storage", ["SSD", "Hard Drive", "Memory Card"], 15, 699),
        new("Kitchen", "kitchen", ["Blender", "Toaster", "Kettle", "Air Fryer"], 19, 399),
        new("Coffee", "coffee", ["Coffee Maker", "Espresso Machine", "Grinder"], 29, 1499),
        new("Cleaning", "cleaning", ["Vacuum", "Robot Vacuum", "Steam Mop"], 59, 999),
        new("Lighting", "lighting", ["Desk Lamp", "Smart Bulb", "Light Strip"], 9, 199),
        new("Furniture", "furniture", ["Desk", "Office Chair", "Bookshelf"], 49, 1199),
        new("Outdoor", "outdoor", ["Tent", "Backpack", "Camping Stove"], 19, 599),
        new("Fitness", "fitness", ["Treadmill", "Yoga Mat", "Dumbbell Set"], 15, 1999),
        new("Toys", "toys", ["Building Set", "Puzzle", "RC Car"], 9, 249),
        new("Books", "books", ["Cookbook", "Novel", "Travel Guide"], 7, 59),
    ];

    public static readonly IReadOnlyList<string> Colors = ["Red", "Blue", "Green", "Black", "Orange"];

    public static IEnumerable<ProductSpec> Products()
    {
        var random = new Random(20261128);
        for (var i = 0; i < ProductCount; i++)
        {
            var category = Categories[i % Categories.Count];
            var type = category.ProductTypes[random.Next(category.ProductTypes.Count)];
            var brand = Brands[random.Next(Brands.Length)];
            var adjective = Adjectives[random.Next(Adjectives.Length)];
            var color = Colors[random.Next(Colors.Count)];
            var model = random.Next(2, 99);
            var price = Math.Round(category.MinPrice + (decimal)random.NextDouble() * (category.MaxPrice - category.MinPrice)) - 0.01m;
            var stock = random.Next(20) == 0 ? 0 : random.Next(1, 500);
            var quality = Qualities[random.Next(Qualities.Length)];

            yield return new ProductSpec(
                Sku: string.Create(CultureInfo.InvariantCulture, $"{category.Slug[..3].ToUpperInvariant()}-{i + 1:00000}"),
                Name: $"{brand} {adjective} {type} {model}",
                Description: $"The {brand} {adjective} {type} {model} in {color.ToLowerInvariant()} is {quality}. " +
                             $"A dependable pick from our {category.Name.ToLowerInvariant()} range, backed by a two-year warranty.",
                Category: category,
                Color: color,
                Price: price,
                Stock: stock);
        }
    }
}

public sealed record CategorySpec(string Name, string Slug, IReadOnlyList<string> ProductTypes, decimal MinPrice, decimal MaxPrice);

public sealed record ProductSpec(string Sku, string Name, string Description, CategorySpec Category, string Color, decimal Price, int Stock);
