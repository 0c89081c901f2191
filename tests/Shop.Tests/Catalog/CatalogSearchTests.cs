using System.Net.Http.Json;
using Npgsql;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Catalog;

/// <summary>
/// Search folds case and accents in every script, in the database and in the cache alike. Each test renames products
/// of its own (ids no other test reads by name) and puts their names back afterwards.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class CatalogSearchTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    public static TheoryData<int, string, string[]> Spellings => new()
    {
        { 4971, "Crème brûlée torch", ["CRÈME BRÛLÉE", "creme brulee", "Crème Brûlée TORCH", "BRULEE", "ＣＲＥＭＥ", "cre\u0300me"] },
        { 4972, "Ελληνικός καφές μπρίκι", ["ΚΑΦΈΣ", "καφες", "ΕΛΛΗΝΙΚΟΣ ΚΑΦΕΣ", "ελληνικοσ"] },
        { 4973, "Ёлочная игрушка Снегирь", ["ЁЛОЧНАЯ ИГРУШКА", "елочная", "СНЕГИРЬ"] },
        { 4974, "Łódź Straße Ærø mug", ["lodz strasse", "ŁÓDŹ", "aero mug", "STRASSE AERØ"] },
    };

    [Theory]
    [MemberData(nameof(Spellings))]
    public async Task Search_ignores_case_and_accents_in_every_script(int id, string name, string[] queries)
    {
        await using var renamed = await RenamedAsync(id, name);
        using var edge = shop.EdgeClient();

        foreach (var query in queries)
        {
            // Through the edge, which may answer a search it saw a moment ago from its one-second copy.
            await Poll.UntilAsync(async () => (await SearchAsync(edge, query)).Items.Any(i => i.Id == id),
                $"q={query} to find \"{name}\"", TimeSpan.FromSeconds(3));
        }
    }

    [Fact]
    public async Task Every_spelling_gets_the_databases_answer_whichever_was_cached_first()
    {
        const int id = 4975;
        await using var renamed = await RenamedAsync(id, "Crème fraîche whisk");
        // One spelling first, on every instance, so each has it in memory (and Redis holds it too); the others follow.
        var spellings = new[] { "CRÈME FRAÎCHE", "crème fraîche", "Creme Fraiche", "crème FRAÎCHE whisk" };
        var instances = Enumerable.Range(0, TestShop.ApiInstances.Count)
            .Select(i => new HttpClient { BaseAddress = new Uri($"http://localhost:{shop.Ports.ApiBase + i}") })
            .ToList();
        try
        {
            foreach (var spelling in spellings)
            {
                foreach (var instance in instances)
                {
                    var page = await SearchAsync(instance, spelling);
                    Assert.True(page.Items.Any(i => i.Id == id), $"{instance.BaseAddress} answered q={spelling} without product {id}");
                }
            }
        }
        finally
        {
            instances.ForEach(i => i.Dispose());
        }
    }

    [Fact]
    public async Task The_storefront_search_finds_names_whatever_the_case_and_accents()
    {
        const int id = 4976;
        await using var renamed = await RenamedAsync(id, "Smörgåsbord Übersicht tray");
        using var edge = shop.EdgeClient();

        await Poll.UntilAsync(async () => (await edge.GetStringAsync($"/search?q={Uri.EscapeDataString("SMORGASBORD ubersicht")}")).Contains($"/product/{id}"),
            $"the storefront search to list product {id}", TimeSpan.FromSeconds(3));
    }

    public static TheoryData<string, string?> Searches => new()
    {
        { "a", null }, { "pro", null }, { "LAPTOP", null }, { "50%", null }, { "_", null }, { "\\", null }, { "%_", null },
        { "ΚΑΦΈΣ", null }, { "ＣＲＥＭＥ", null }, { "e", "laptops" }, { "no such product anywhere", null },
    };

    /// <summary>
    /// Each instance answers searches from memory; the count it gives must be the database's own for the same folded text
    /// (a plain substring test, so LIKE's wildcards in the search mean nothing special here either).
    /// </summary>
    [Theory]
    [MemberData(nameof(Searches))]
    public async Task A_search_finds_exactly_what_the_database_finds(string query, string? category)
    {
        await using var db = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using var count = db.CreateCommand(
            "SELECT count(*)::int FROM products p JOIN categories c ON c.id = p.category_id " +
            "WHERE strpos(p.search_name, shop_search_fold($1)) > 0 AND ($2::text IS NULL OR c.slug = $2)");
        count.Parameters.Add(new NpgsqlParameter { Value = query.Trim() });
        count.Parameters.Add(new NpgsqlParameter { Value = (object?)category ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var expected = (int)(await count.ExecuteScalarAsync())!;

        foreach (var instance in Enumerable.Range(0, TestShop.ApiInstances.Count))
        {
            using var api = new HttpClient { BaseAddress = new Uri($"http://localhost:{shop.Ports.ApiBase + instance}") };
            var page = (await api.GetFromJsonAsync<PageDto>(
                $"/api/catalog/items?pageSize=100&q={Uri.EscapeDataString(query)}{(category is null ? "" : $"&category={category}")}"))!;
            Assert.True(page.TotalCount == expected, $"{TestShop.ApiInstances[instance]}: q={query} gave {page.TotalCount}, the database {expected}");
            Assert.Equal(Math.Min(expected, 100), page.Items.Count);
        }
    }

    [Theory]
    [InlineData("CRÈME BRÛLÉE")]
    [InlineData("ΚΑΦΈΣ")]
    [InlineData("ЁЛОЧНАЯ")]
    public async Task Folded_search_narrows_through_the_trigram_index_in_every_script(string query)
    {
        await using var db = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using var connection = await db.OpenConnectionAsync();
        await using (var noSeqScan = new NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            await noSeqScan.ExecuteNonQueryAsync();
        }
        await using var explain = new NpgsqlCommand(
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM products WHERE search_name LIKE '%' || shop_search_fold($1) || '%'", connection);
        explain.Parameters.Add(new NpgsqlParameter { Value = query });
        using var plan = System.Text.Json.JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!);

        // The index scan itself must pick out a handful of the 5,000 products: a text with no trigrams (letters the
        // database's character classes do not know) would make it hand back every row for the recheck.
        var indexScan = Nodes(plan.RootElement[0].GetProperty("Plan")).Single(n => n.GetProperty("Node Type").GetString() == "Bitmap Index Scan");
        Assert.Equal("ix_products_search_name", indexScan.GetProperty("Index Name").GetString());
        Assert.InRange(indexScan.GetProperty("Actual Rows").GetDouble(), 0, 50);
    }

    private static IEnumerable<System.Text.Json.JsonElement> Nodes(System.Text.Json.JsonElement node) =>
        node.TryGetProperty("Plans", out var children) ? [node, .. children.EnumerateArray().SelectMany(Nodes)] : [node];

    private static async Task<PageDto> SearchAsync(HttpClient client, string query) =>
        (await client.GetFromJsonAsync<PageDto>($"/api/catalog/items?pageSize=100&q={Uri.EscapeDataString(query)}"))!;

    /// <summary>Renames a product through the admin API (as staff would) and names it back when disposed.</summary>
    private async Task<Rename> RenamedAsync(int id, string name)
    {
        await using var db = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using var select = db.CreateCommand("SELECT name FROM products WHERE id = $1");
        select.Parameters.Add(new NpgsqlParameter { Value = id });
        var original = (string)(await select.ExecuteScalarAsync())!;
        var rename = new Rename(shop, id, original);
        await shop.UpdateProductAsync(id, new { name });
        return rename;
    }

    private sealed record Rename(TestShop Shop, int Id, string Original) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await Shop.UpdateProductAsync(Id, new { name = Original });
    }
}
