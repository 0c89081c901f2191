namespace Shop.Data.Catalog;

/// <summary>
/// The one rule for "these two texts match as a shopper means it": Unicode NFKC (so full-width letters and ligatures
/// are plain letters), Postgres's <c>unaccent</c> dictionary, then ICU's
/// lower case (every script, not only ASCII as the database's C locale would), then the final sigma as σ (Unicode case
/// folding). Product names are folded into <see cref="Product.SearchName"/> by the same function that folds a query,
/// and the API keys its search cache by the folded query, so the cache and the database cannot disagree.
/// </summary>
public static class SearchFolding
{
    /// <summary>
    /// The function's name. Its body lives in the migration that creates it (<c>CatalogSearchFolding</c>); a change to the
    /// rule is a new migration that replaces the function and recomputes <see cref="Product.SearchName"/> and its index.
    /// </summary>
    public const string Function = "shop_search_fold";
}
