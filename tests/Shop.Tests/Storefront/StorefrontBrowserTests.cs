using Microsoft.Playwright;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Storefront;

/// <summary>A shopper's path through the storefront in Debian's Chromium, through the edge like a real visitor.</summary>
[Collection(ShopCollection.Name)]
public sealed class StorefrontBrowserTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task Shopper_searches_opens_a_product_and_its_image_loads_from_the_cdn()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(playwright);
        var page = await browser.NewPageAsync();
        var failed = new List<string>();
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                failed.Add($"{response.Status} {response.Url}");
            }
        };
        // The edge's Content-Security-Policy must not block anything the storefront does (Chromium reports it on the console).
        var blocked = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                blocked.Add(message.Text);
            }
        };

        await page.GotoAsync($"http://localhost:{shop.Ports.EdgeHttp}/");
        Assert.True(await page.Locator(".product-card").CountAsync() >= 12);
        // The stylesheet applied: the header is dark, not the browser's default.
        Assert.Equal("rgb(17, 17, 17)", await page.EvalOnSelectorAsync<string>(".site-header", "e => getComputedStyle(e).backgroundColor"));

        await page.FillAsync("input[name=q]", "swift");
        await page.ClickAsync("form.search button");
        await page.WaitForURLAsync("**/search?q=swift");
        Assert.Contains("results for", await page.InnerTextAsync("main"));

        var first = page.Locator(".product-card a").First;
        var name = await first.Locator(".name").InnerTextAsync();
        await first.ClickAsync();
        await page.WaitForURLAsync("**/product/*");
        Assert.Equal(name, await page.InnerTextAsync("article.product h1"));

        var image = page.Locator("article.product img");
        Assert.StartsWith("/cdn/", await image.GetAttributeAsync("src"));
        var naturalWidth = await image.EvaluateAsync<int>(
            "img => img.complete ? img.naturalWidth : new Promise(done => { img.onload = () => done(img.naturalWidth); img.onerror = () => done(0); })");
        Assert.True(naturalWidth > 0, "The product image did not load.");
        Assert.Empty(failed);
        Assert.Empty(blocked);
    }

    [Fact]
    public async Task Shopper_adds_to_the_cart_changes_the_quantity_and_removes_the_line()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(playwright);
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync($"http://localhost:{shop.Ports.EdgeHttp}/product/3");
        await page.ClickAsync(".add-to-cart button");
        await page.WaitForURLAsync("**/cart");
        await WaitForCartCountAsync(page, "1");

        var line = page.Locator("tr[data-product-id='3']");
        await line.Locator("input[type=number]").FillAsync("3");
        await line.Locator(".quantity button").ClickAsync();
        await WaitForCartCountAsync(page, "3");

        // The cart's id lives only in an HttpOnly cookie; the cart itself in Redis (the cache server), for 7 idle days.
        var cookie = (await context.CookiesAsync()).Single(c => c.Name == "shop.cart");
        Assert.True(cookie.HttpOnly);
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("cache"));
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync($"cart:{cookie.Value}");
        Assert.InRange(ttl!.Value, TimeSpan.FromDays(6.9), TimeSpan.FromDays(7));

        await line.Locator(".remove").ClickAsync();
        await page.WaitForSelectorAsync("[data-testid=cart-empty]");
        await WaitForCartCountAsync(page, "0");
    }

    [Fact]
    public async Task Shopper_checks_out_and_sees_the_order_flip_from_received_to_confirmed()
    {
        await new Orders.OrderTraffic(shop).SetStockAsync([4501], 100);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(playwright);
        var page = await (await browser.NewContextAsync()).NewPageAsync();

        await page.GotoAsync($"http://localhost:{shop.Ports.EdgeHttp}/product/4501");
        await page.ClickAsync(".add-to-cart button");
        await page.WaitForURLAsync("**/cart");
        await page.ClickAsync("[data-testid=checkout]");
        await page.WaitForURLAsync("**/checkout");
        await page.FillAsync("input[type=email]", "browser@example.com");
        await page.FillAsync("input[name='Form.Name']", "Browser Shopper");
        await page.ClickAsync("form.checkout button[type=submit]");

        await page.WaitForURLAsync("**/orders/*");
        Assert.Contains("received your order", await page.InnerTextAsync("main"));
        await page.EvaluateAsync("() => window.sameDocument = true");
        // No reload: the page itself picks up the worker's decision.
        await page.WaitForSelectorAsync("[data-testid=order-status][data-status=Confirmed]", new() { Timeout = 30_000 });
        Assert.StartsWith("Confirmed", await page.InnerTextAsync("[data-testid=order-status]"));
        Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), "The page was reloaded.");
        await WaitForCartCountAsync(page, "0");
    }

    [Fact]
    public async Task During_a_sale_a_shopper_waits_is_let_in_without_a_click_and_places_an_order()
    {
        await new Orders.OrderTraffic(shop).SetStockAsync([4702], 100);
        var sales = new WaitingRoom.SaleTraffic(shop);
        var saleId = WaitingRoom.SaleTraffic.NewSaleId();
        // One admission every two seconds, and heartbeats due only every 150 s: while it waits, the page should ask the
        // services for nothing but its join and its admission.
        await using var sale = await sales.StartSaleAsync(saleId, WaitingRoom.SaleTraffic.Sale(admissionsPerMinute: 30, maxActive: 100, abandonAfterSeconds: 600));
        await sales.PauseAsync(saleId, true);
        using (var api = sales.Instance(0))
        {
            for (var i = 0; i < 4; i++)
            {
                await WaitingRoom.SaleTraffic.JoinedAsync(api, WaitingRoom.SaleTraffic.ClientIp(90_000 + i));
            }
        }
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(playwright);
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();

        // Any store page sends a shopper without an admission to the waiting room.
        await page.GotoAsync($"http://localhost:{shop.Ports.EdgeHttp}/product/4702");
        await page.WaitForURLAsync("**/waiting-room?returnUrl=%2Fproduct%2F4702");
        await page.WaitForSelectorAsync("[data-testid=waiting][data-state=Waiting]");
        // The gate lets the shared stylesheet through during the sale: its 72rem main applies.
        Assert.Equal("1152px", await page.EvalOnSelectorAsync<string>("main", "e => getComputedStyle(e).maxWidth"));
        var position = await page.InnerTextAsync("[data-testid=waiting-position]");
        Assert.Matches("^[0-9]+$", position);
        Assert.Contains("First come, first served", await page.InnerTextAsync("[data-testid=queue-rule]"));
        Assert.True((await context.CookiesAsync()).Single(c => c.Name == "shop.wr.ticket").HttpOnly);

        // A reload keeps the place; from here on every request the page makes is recorded.
        var asked = new System.Collections.Concurrent.ConcurrentQueue<(string Method, string Path, int Status, string? Cache)>();
        page.Response += (_, response) =>
        {
            var url = new Uri(response.Url);
            if (url.AbsolutePath.StartsWith("/api/", StringComparison.Ordinal))
            {
                asked.Enqueue((response.Request.Method, url.AbsolutePath, response.Status, response.Headers.GetValueOrDefault("x-cache-status")));
            }
        };
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("[data-testid=waiting][data-state=Waiting]");
        Assert.Equal(position, await page.InnerTextAsync("[data-testid=waiting-position]"));
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=waiting-eta]')?.innerText === 'paused'");

        // The sale resumes: the page advances (its progress bar with it) and goes on to the product by itself.
        await sales.PauseAsync(saleId, false);
        await page.WaitForFunctionAsync("""
            () => { const bar = document.querySelector('[data-testid=waiting-progress]'); return bar && bar.value > 0 && bar.value < 100; }
            """, null, new() { Timeout = 30_000 });
        await page.WaitForURLAsync("**/product/4702", new() { Timeout = 30_000 });
        var queuePolls = asked.Where(a => a.Path.EndsWith("/queue", StringComparison.Ordinal)).ToList();
        var reachedServices = asked.Where(a => !a.Path.EndsWith("/queue", StringComparison.Ordinal)).ToList();
        Assert.True(queuePolls.Count >= 3, $"The page polled its sale's queue {queuePolls.Count} times.");
        // The first poll may be the one that fills the edge's copy; every later one is the edge's answer.
        Assert.All(queuePolls.Skip(1), poll => Assert.Contains(poll.Cache, new[] { "HIT", "STALE", "UPDATING" }));
        Assert.Equal(1, reachedServices.Count(a => a is { Method: "POST", Path: "/api/waitingroom/join" }));
        Assert.InRange(reachedServices.Count(a => a is { Method: "GET", Path: "/api/waitingroom/status" }), 1, 2);
        Assert.Equal(reachedServices.Count, reachedServices.Count(a => a.Path is "/api/waitingroom/join" or "/api/waitingroom/status"));
        await page.ClickAsync(".add-to-cart button");
        await page.WaitForURLAsync("**/cart");
        await page.ClickAsync("[data-testid=checkout]");
        await page.WaitForURLAsync("**/checkout");
        await page.FillAsync("input[type=email]", "waited@example.com");
        await page.FillAsync("input[name='Form.Name']", "Patient Shopper");
        await page.ClickAsync("form.checkout button[type=submit]");
        await page.WaitForURLAsync("**/orders/*");
        await page.WaitForSelectorAsync("[data-testid=order-status][data-status=Confirmed]", new() { Timeout = 30_000 });
    }

    private static Task WaitForCartCountAsync(IPage page, string count) =>
        page.WaitForFunctionAsync($"() => document.querySelector('[data-testid=cart-count]')?.innerText === '{count}'");

    /// <summary>Debian's Chromium, headless and off the network but for the shop; other browser tests start theirs here too.</summary>
    internal static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright) =>
        playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            // Root in a container needs --no-sandbox; the rest keeps Chromium off the (closed) network.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
}
