using System.Net;
using System.Net.Http.Json;
using Shop.Staff;
using Shop.Tests.Infrastructure;
using Shop.Tests.Reporting;
using Shop.Tests.WaitingRoom;
using StackExchange.Redis;

namespace Shop.Tests.Hardening;

[Collection(ShopCollection.Name)]
public sealed class CookieAndAntiforgeryTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    private Uri Edge(bool https) => https ? new Uri($"https://localhost:{shop.Ports.EdgeHttps}") : new Uri($"http://localhost:{shop.Ports.EdgeHttp}");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Storefront_cookies_are_HttpOnly_and_SameSite_and_Secure_exactly_over_https(bool https)
    {
        using var client = Browserlike.Client(Edge(https));

        using var page = await client.GetAsync(await Browserlike.ProductPagePathAsync(shop));
        var antiforgery = SetCookie.Single(page, ".AspNetCore.Antiforgery.");
        using var add = await client.PostFormAsync("/cart/add", [antiforgery], new()
        {
            ["__RequestVerificationToken"] = Browserlike.AntiforgeryToken(await page.Content.ReadAsStringAsync()),
            ["productId"] = "1",
        });

        Assert.Equal(HttpStatusCode.Redirect, add.StatusCode);
        var cart = SetCookie.Single(add, "shop.cart");
        Assert.All(new[] { antiforgery, cart }, cookie =>
        {
            Assert.Equal(https, cookie.Secure);
            Assert.True(cookie.HttpOnly, $"{cookie.Name} is not HttpOnly.");
        });
        Assert.Equal("strict", antiforgery.SameSite);
        Assert.Equal("lax", cart.SameSite);
    }

    [Fact]
    public async Task Waiting_room_cookies_are_HttpOnly_and_SameSite_and_Secure_exactly_over_https()
    {
        var traffic = new SaleTraffic(shop);
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await traffic.StartSaleAsync(saleId, SaleTraffic.Sale());
        foreach (var https in new[] { true, false })
        {
            using var client = Browserlike.Client(Edge(https), Browserlike.NewSourceAddress());
            using var join = await client.PostAsync("/api/waitingroom/join", null);
            Assert.Equal(HttpStatusCode.OK, join.StatusCode);
            var ticket = SetCookie.Single(join, "shop.wr.ticket");

            SetCookie? admission = null;
            await Poll.UntilAsync(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/waitingroom/status");
                request.Headers.Add("Cookie", Browserlike.CookieHeader(ticket));
                using var status = await client.SendAsync(request);
                admission = SetCookie.From(status).SingleOrDefault(c => c.Name == "shop.wr.admission");
                return admission is not null;
            }, "the shopper to be admitted");

            Assert.All(new[] { ticket, admission! }, cookie =>
            {
                Assert.Equal(https, cookie.Secure);
                Assert.True(cookie.HttpOnly, $"{cookie.Name} is not HttpOnly.");
                Assert.Equal("lax", cookie.SameSite);
            });
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Staff_sign_in_cookie_is_HttpOnly_and_SameSite_strict_and_Secure_exactly_through_the_https_entrance(bool https)
    {
        // The edge's staff port is https only; the process's own port (development, tests) is plain http.
        using var client = Browserlike.Client(https ? new Uri($"https://localhost:{shop.Ports.StaffHttps}") : new Uri($"http://localhost:{shop.Ports.Reporting}"));
        using var page = await client.GetAsync("/login");
        var antiforgery = SetCookie.Single(page, ".AspNetCore.Antiforgery.");

        using var signIn = await client.PostFormAsync("/login", [antiforgery], new()
        {
            ["__RequestVerificationToken"] = Browserlike.AntiforgeryToken(await page.Content.ReadAsStringAsync()),
            ["_handler"] = "login",
            ["Input.Email"] = StaffRoles.AdminEmail,
            ["Input.Password"] = await StaffClient.AdminPasswordAsync(shop),
        });

        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var staff = SetCookie.Single(signIn, "shop.staff");
        Assert.True(staff.HttpOnly);
        Assert.Equal("strict", staff.SameSite);
        Assert.Equal(https, staff.Secure);
        Assert.Equal(https, antiforgery.Secure);
        Assert.True(antiforgery.HttpOnly);
        Assert.Equal("strict", antiforgery.SameSite);
    }

    [Fact]
    public async Task Storefront_form_posts_without_an_antiforgery_token_are_400_and_write_nothing()
    {
        using var client = Browserlike.Client(Edge(https: true));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("cache"));
        var cartId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var cartCookie = new SetCookie("shop.cart", cartId, new Dictionary<string, string>());
        var idempotencyKey = $"no-token-{Guid.NewGuid():N}";

        foreach (var (path, fields) in new (string, Dictionary<string, string>)[]
        {
            ("/cart/add", new() { ["productId"] = "1" }),
            ("/cart/set", new() { ["productId"] = "1", ["quantity"] = "3" }),
            ("/checkout", new() { ["_handler"] = "checkout", ["Form.IdempotencyKey"] = idempotencyKey, ["Form.Email"] = "ana@example.com", ["Form.Name"] = "Ana" }),
        })
        {
            using var response = await client.PostFormAsync(path, [cartCookie], fields);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"POST {path} without a token answered {(int)response.StatusCode}.");
        }

        Assert.False(await redis.GetDatabase().KeyExistsAsync($"cart:{cartId}"));
        await using var db = Npgsql.NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using var orders = db.CreateCommand("SELECT count(*) FROM orders WHERE idempotency_key = $1");
        orders.Parameters.AddWithValue(idempotencyKey);
        Assert.Equal(0L, (long)(await orders.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Staff_form_posts_without_an_antiforgery_token_are_400_and_change_nothing()
    {
        using var staff = new StaffClient(shop);
        await staff.SignedInAsync(StaffRoles.AdminEmail, await StaffClient.AdminPasswordAsync(shop));

        using var logout = await staff.Http.PostAsync("/logout", new FormUrlEncodedContent([]));
        using var login = await staff.Http.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login", ["Input.Email"] = StaffRoles.AdminEmail, ["Input.Password"] = "not the password at all",
        }));

        Assert.Equal(HttpStatusCode.BadRequest, logout.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, login.StatusCode);
        using var stillSignedIn = await staff.Http.GetAsync("/reports/sales");
        Assert.Equal(HttpStatusCode.OK, stillSignedIn.StatusCode);
    }
}
