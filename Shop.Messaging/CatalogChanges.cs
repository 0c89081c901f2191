namespace Shop.Messaging;

/// <summary>
/// The catalog cache's invalidation contract, shared by everyone who changes what it shows: the cache tags and the
/// Redis channel on which a writer announces them (one message, the tags separated by newlines) after its commit.
/// Every API instance drops the announced tags from its own memory.
/// </summary>
public static class CatalogChanges
{
    public const string Channel = "shop:catalog:invalidate";

    /// <summary>Every list, search and category count: they show availability, not stock counts.</summary>
    public const string ListsTag = "catalog:lists";

    public static string ItemTag(int productId) => $"catalog:item:{productId}";

    /// <summary>
    /// The tags for products whose stock changed: each item, and the lists only when some product's availability
    /// (in stock or sold out) changed, so a peak of orders does not empty every list's cache.
    /// </summary>
    public static IReadOnlyList<string> Tags(IEnumerable<int> changedProducts, bool availabilityChanged) =>
        [.. changedProducts.Distinct().Order().Select(ItemTag), .. availabilityChanged ? [ListsTag] : Array.Empty<string>()];

    public static string Message(IEnumerable<string> tags) => string.Join('\n', tags);
}
