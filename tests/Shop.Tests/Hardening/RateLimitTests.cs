using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Hardening;

/// <summary>The limits are the AppHost's defaults (Shop:RateLimits), which the test shop keeps.</summary>
[Collection(ShopCollection.Name)]
public sealed partial class RateLimitTests(ShopFixture fixture)
{
    private const int OrdersPerMinute = 120;
    private const int LoginsPerAddressPerMinute = 20;

    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task Orders_from_one_address_share_one_count_over_the_edge_and_every_instance_then_get_429()
    {
        var address = Browserlike.NewSourceAddress();
        using var edge = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.EdgeHttp}"), address);
        // Asked directly, an instance takes the client address from X-Forwarded-For (the test is on loopback, a trusted proxy).
        var instances = Enumerable.Range(0, TestShop.ApiInstances.Count)
            .Select(i => Browserlike.Client(new Uri($"http://localhost:{shop.Ports.ApiBase + i}"))).ToList();
        HttpClient[] clients = [edge, .. instances];
        try
        {
            // Empty orders: refused as invalid (nothing written), but counted like any order request.
            for (var i = 0; i < OrdersPerMinute; i++)
            {
                using var response = await PostOrderAsync(clients[i % clients.Length], address);
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"Order request {i + 1} answered {(int)response.StatusCode}.");
            }
            foreach (var client in clients)
            {
                using var limited = await PostOrderAsync(client, address);
                await AssertTooManyAsync(limited, "application/problem+json");
            }
        }
        finally
        {
            instances.ForEach(i => i.Dispose());
        }
    }

    [Fact]
    public async Task A_shopper_address_over_the_order_limit_gets_429_at_the_storefront_checkout_and_no_order()
    {
        var address = Browserlike.NewSourceAddress();
        using var storefront = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.EdgeHttp}"), address).AskingForHtml();
        using var product = await storefront.GetAsync(await Browserlike.ProductPagePathAsync(shop));
        var antiforgery = SetCookie.Single(product, ".AspNetCore.Antiforgery.");
        using var add = await storefront.PostFormAsync("/cart/add", [antiforgery], new()
        {
            ["__RequestVerificationToken"] = Browserlike.AntiforgeryToken(await product.Content.ReadAsStringAsync()),
            ["productId"] = "1",
        });
        var cookies = new[] { antiforgery, SetCookie.Single(add, "shop.cart") };
        using var checkout = await storefront.GetWithCookiesAsync("/checkout", cookies);
        var page = await checkout.Content.ReadAsStringAsync();
        var idempotencyKey = CheckoutKey().Match(page).Groups[1].Value;
        using var api = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.ApiBase}"));
        for (var i = 0; i < OrdersPerMinute; i++)
        {
            using var spent = await PostOrderAsync(api, address);
        }

        using var limited = await storefront.PostFormAsync("/checkout", cookies, new()
        {
            ["__RequestVerificationToken"] = Browserlike.AntiforgeryToken(page),
            ["_handler"] = "checkout", ["Form.IdempotencyKey"] = idempotencyKey, ["Form.Email"] = "ana@example.com", ["Form.Name"] = "Ana",
        });

        await AssertTooManyAsync(limited, "text/html");
        Assert.Contains("Too many orders came from your network address", await limited.Content.ReadAsStringAsync());
        await using var db = Npgsql.NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using var orders = db.CreateCommand("SELECT count(*) FROM orders WHERE idempotency_key = $1");
        orders.Parameters.AddWithValue(idempotencyKey);
        Assert.Equal(0L, (long)(await orders.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Sign_in_attempts_from_one_address_over_the_limit_get_429_with_Retry_After()
    {
        using var client = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.Reporting}"), Browserlike.NewSourceAddress()).AskingForHtml();

        for (var i = 0; i < LoginsPerAddressPerMinute; i++)
        {
            using var attempt = await SignInAsync(client, $"nobody-{Guid.NewGuid():N}@example.com");
            Assert.True(attempt.StatusCode == HttpStatusCode.OK, $"Attempt {i + 1} answered {(int)attempt.StatusCode}.");
            Assert.Contains("do not match a staff account", await attempt.Content.ReadAsStringAsync());
        }
        using var limited = await SignInAsync(client, $"nobody-{Guid.NewGuid():N}@example.com");

        await AssertTooManyAsync(limited, "text/html");
        Assert.Contains("Too many sign-in attempts", await limited.Content.ReadAsStringAsync());
    }

    private static async Task<HttpResponseMessage> PostOrderAsync(HttpClient client, IPAddress address)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        request.Headers.Add("X-Forwarded-For", address.ToString());
        return await client.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string email)
    {
        using var page = await client.GetAsync("/login");
        var antiforgery = SetCookie.Single(page, ".AspNetCore.Antiforgery.");
        return await client.PostFormAsync("/login", [antiforgery], new()
        {
            ["__RequestVerificationToken"] = Browserlike.AntiforgeryToken(await page.Content.ReadAsStringAsync()),
            ["_handler"] = "login", ["Input.Email"] = email, ["Input.Password"] = "not the password at all",
        });
    }

    [GeneratedRegex("name=\"Form.IdempotencyKey\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex CheckoutKey();

    private static async Task AssertTooManyAsync(HttpResponseMessage response, string mediaType)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.True(retryAfter is { TotalSeconds: >= 1 and <= 60 }, $"Retry-After was {retryAfter}.");
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        if (mediaType == "application/problem+json")
        {
            Assert.Equal(429, (await response.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>())?.Status);
        }
    }
}
