using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Shop.Tests.Hardening;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Storefront;

/// <summary>Cart changes sent at the same moment (two tabs, a double click, a script) through the real storefront.</summary>
[Collection(ShopCollection.Name)]
public sealed partial class CartConcurrencyTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task Concurrent_adds_of_one_product_all_count()
    {
        var shopper = await Shopper.StartAsync(shop);
        var productId = (await InStockProductsAsync(1))[0];
        Assert.Equal(HttpStatusCode.Redirect, (await shopper.AddAsync(productId)).StatusCode);

        var adds = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => shopper.AddAsync(productId)));

        Assert.All(adds, add => Assert.Equal(HttpStatusCode.Redirect, add.StatusCode));
        Assert.Equal(new Dictionary<int, int> { [productId] = 5 }, await shopper.CartAsync());
    }

    [Fact]
    public async Task Concurrent_adds_of_many_products_stop_at_the_line_limit_and_say_why()
    {
        var shopper = await Shopper.StartAsync(shop);
        var products = await InStockProductsAsync(27);
        await shopper.AddAsync(products[0]);

        var adds = await Task.WhenAll(products[1..26].Select(p => shopper.AddAsync(p)));

        Assert.Equal(20, (await shopper.CartAsync()).Count);
        Assert.Equal(19, adds.Count(a => a.StatusCode == HttpStatusCode.Redirect));
        var refusals = adds.Where(a => a.StatusCode != HttpStatusCode.Redirect).ToList();
        Assert.Equal(6, refusals.Count);
        foreach (var refusal in refusals)
        {
            Assert.Equal(HttpStatusCode.Conflict, refusal.StatusCode);
            Assert.Equal("application/problem+json", refusal.Content.Headers.ContentType?.MediaType);
            Assert.Contains("at most 20 different products", (await refusal.Content.ReadFromJsonAsync<ProblemBody>())!.Detail);
        }

        // A browser is sent back to the cart page, which says why.
        var browserAdd = await shopper.AddAsync(products[26], asBrowser: true);
        Assert.Equal(HttpStatusCode.Redirect, browserAdd.StatusCode);
        var page = await shopper.PageAsync(browserAdd.Headers.Location!.OriginalString);
        Assert.Contains("at most 20 different products", page);
        Assert.Equal(20, (await shopper.CartAsync()).Count);
    }

    [Fact]
    public async Task A_line_at_its_cap_refuses_more_and_the_page_says_why()
    {
        var shopper = await Shopper.StartAsync(shop);
        var productId = (await InStockProductsAsync(1))[0];
        await shopper.AddAsync(productId, quantity: 8);

        var adds = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => shopper.AddAsync(productId)));
        Assert.Equal(2, adds.Count(a => a.StatusCode == HttpStatusCode.Redirect));
        Assert.Equal(2, adds.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(10, (await shopper.CartAsync())[productId]);

        var browserAdd = await shopper.AddAsync(productId, asBrowser: true);
        Assert.Contains("at most 10 units of one product", await shopper.PageAsync(browserAdd.Headers.Location!.OriginalString));
    }

    [Fact]
    public async Task Setting_quantities_cannot_grow_a_full_cart_past_the_line_limit()
    {
        var shopper = await Shopper.StartAsync(shop);
        var products = await InStockProductsAsync(21);
        await shopper.AddAsync(products[0]);
        await Task.WhenAll(products[1..20].Select(p => shopper.AddAsync(p)));

        var set = await shopper.PostAsync("/cart/set", new() { ["productId"] = products[20].ToString(), ["quantity"] = "3" });

        Assert.Equal(HttpStatusCode.Conflict, set.StatusCode);
        Assert.Equal(20, (await shopper.CartAsync()).Count);
        Assert.DoesNotContain(products[20], (await shopper.CartAsync()).Keys);
    }

    private async Task<int[]> InStockProductsAsync(int count)
    {
        using var edge = shop.EdgeClient();
        var page = await edge.GetFromJsonAsync<CatalogPage>($"/api/catalog/items?page={Random.Shared.Next(1, 40)}&pageSize=100");
        return [.. page!.Items.Where(i => i.InStock).Select(i => i.Id).Take(count)];
    }

    private sealed record CatalogPage(IReadOnlyList<CatalogEntry> Items);
    private sealed record CatalogEntry(int Id, bool InStock);
    private sealed record ProblemBody(string Detail);

    /// <summary>One shopper's cookie jar: the antiforgery pair from a product page, then the cart cookie from the first add.</summary>
    private sealed class Shopper(HttpClient client, List<SetCookie> cookies, string token)
    {
        public static async Task<Shopper> StartAsync(TestShop shop)
        {
            var client = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.EdgeHttp}"), Browserlike.NewSourceAddress());
            using var page = await client.GetAsync(await Browserlike.ProductPagePathAsync(shop));
            return new Shopper(client, [SetCookie.Single(page, ".AspNetCore.Antiforgery.")],
                Browserlike.AntiforgeryToken(await page.Content.ReadAsStringAsync()));
        }

        public Task<HttpResponseMessage> AddAsync(int productId, int quantity = 1, bool asBrowser = false) =>
            PostAsync("/cart/add", new() { ["productId"] = productId.ToString(), ["quantity"] = quantity.ToString() }, asBrowser);

        public async Task<HttpResponseMessage> PostAsync(string path, Dictionary<string, string> fields, bool asBrowser = false)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = token }),
            };
            request.Headers.Add("Cookie", Browserlike.CookieHeader(cookies));
            if (asBrowser)
            {
                request.Headers.Accept.ParseAdd("text/html");
            }
            var response = await client.SendAsync(request);
            await response.Content.LoadIntoBufferAsync();
            lock (cookies)
            {
                if (SetCookie.From(response).FirstOrDefault(c => c.Name == "shop.cart") is { } cart && !cookies.Any(c => c.Name == cart.Name))
                {
                    cookies.Add(cart);
                }
            }
            return response;
        }

        public async Task<string> PageAsync(string path)
        {
            using var page = await client.GetWithCookiesAsync(path, cookies);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            return await page.Content.ReadAsStringAsync();
        }

        /// <summary>The cart as its page shows it: product id → quantity.</summary>
        public async Task<Dictionary<int, int>> CartAsync() =>
            CartLine().Matches(await PageAsync("/cart")).ToDictionary(m => int.Parse(m.Groups[1].Value), m => int.Parse(m.Groups[2].Value));
    }

    [GeneratedRegex("""<tr data-product-id="(\d+)">.*?name="quantity" value="(\d+)"[^>]*aria-label""", RegexOptions.Singleline)]
    private static partial Regex CartLine();
}
