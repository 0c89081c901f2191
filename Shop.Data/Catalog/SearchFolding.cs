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
    public const string Function = "shop_search_fold";

    /// <summary>
    /// unaccent() is only STABLE (its dictionary could be swapped), so an index or generated column needs this IMMUTABLE
    /// wrapper that names the dictionary itself — the documented way to index unaccented text.
    /// </summary>
    public const string CreateFunctionSql = $"""
        CREATE OR REPLACE FUNCTION {Function}(text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        RETURN translate(lower(public.unaccent('public.unaccent'::regdictionary, normalize($1, NFKC)) COLLATE "und-x-icu"), 'ς', 'σ');
        """;
}
