using System.Net;
using Microsoft.Playwright;
using Shop.Staff;
using Shop.Tests.Infrastructure;
using Shop.Tests.Reporting;
using Shop.Tests.Storefront;

namespace Shop.Tests.Hardening;

/// <summary>
/// Every place that takes a return URL keeps the visitor on the site, in a real browser: the waiting room's script, the
/// staff sign-in, and the scripts' copy of the rule against the same table as the services' (LocalUrlTests).
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class ReturnUrlTests(ShopFixture fixture)
{
    /// <summary>The input: the page took it for a path, and Chromium, dropping the tab, read <c>//evil.example/</c>.</summary>
    private const string TabThenSlashes = "/%09/evil.example/";

    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task The_waiting_room_does_not_send_a_shopper_off_the_site()
    {
        var edge = $"http://localhost:{shop.Ports.EdgeHttp}";
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await StorefrontBrowserTests.LaunchChromiumAsync(playwright);
        var (page, offSite) = await RecordingPageAsync(browser, null);

        // No sale is live, so the waiting room lets the shopper go on at once, to the return URL it accepted.
        await page.GotoAsync($"{edge}/waiting-room?returnUrl={TabThenSlashes}");
        await Poll.UntilAsync(() => offSite.Count > 0 || !page.Url.Contains("/waiting-room", StringComparison.Ordinal),
            "the waiting room to send the shopper on", TimeSpan.FromSeconds(30));

        Assert.Empty(offSite);
        Assert.Equal($"{edge}/", page.Url);
    }

    [Fact]
    public async Task The_scripts_apply_the_same_rule_as_the_services()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await StorefrontBrowserTests.LaunchChromiumAsync(playwright);
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"http://localhost:{shop.Ports.EdgeHttp}/");
        var cases = LocalUrlTests.Cases.Select(row => ((string?)row[0], (bool)row[1])).ToList();

        var verdicts = await page.EvaluateAsync<bool[]>(
            "async urls => { const rule = await import('/local-url.js'); return urls.map(url => rule.isLocalUrl(url)); }",
            cases.Select(c => c.Item1).ToArray());

        var wrong = cases.Zip(verdicts).Where(x => x.First.Item2 != x.Second).Select(x => $"{x.First.Item1}: script says {x.Second}").ToList();
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    [Fact]
    public async Task Staff_sign_in_does_not_send_staff_off_the_site()
    {
        var (email, password) = await NewStaffAsync();
        var reports = $"http://localhost:{shop.Ports.Reporting}";
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await StorefrontBrowserTests.LaunchChromiumAsync(playwright);
        var (page, offSite) = await RecordingPageAsync(browser, NewClientAddress());

        await page.GotoAsync($"{reports}/login?ReturnUrl={TabThenSlashes}");
        await page.FillAsync("input[name='Input.Email']", email);
        await page.FillAsync("input[name='Input.Password']", password);
        await page.ClickAsync("button[type=submit]");
        await Poll.UntilAsync(() => offSite.Count > 0 || !page.Url.Contains("/login", StringComparison.Ordinal),
            "the sign-in to send the staff member on", TimeSpan.FromSeconds(30));

        Assert.Empty(offSite);
        Assert.Equal($"{reports}/", page.Url);
    }

    [Theory]
    [InlineData(TabThenSlashes)]
    [InlineData("/%5Cevil.example/")]
    [InlineData("/%2F%2Fevil.example/")]
    [InlineData("/%2F%255Cevil.example/")]
    public async Task Staff_sign_in_redirects_only_to_a_path_on_the_site(string returnUrl)
    {
        var (email, password) = await NewStaffAsync();
        using var staff = new StaffClient(shop);
        staff.Http.DefaultRequestHeaders.Add("X-Forwarded-For", NewClientAddress());

        using var response = await staff.PostFormAsync($"/login?ReturnUrl={returnUrl}", "login",
            new() { ["Input.Email"] = email, ["Input.Password"] = password });

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var target = new Uri(staff.Http.BaseAddress!, response.Headers.Location!);
        Assert.Equal(staff.Http.BaseAddress!.GetLeftPart(UriPartial.Authority) + "/", target.AbsoluteUri);
    }

    /// <summary>A page whose requests to any other host are refused and recorded, so a redirect off the site is seen, not followed.</summary>
    private static async Task<(IPage Page, List<string> OffSite)> RecordingPageAsync(IBrowser browser, string? clientAddress)
    {
        var context = await browser.NewContextAsync(clientAddress is null ? new() : new() { ExtraHTTPHeaders = new Dictionary<string, string> { ["X-Forwarded-For"] = clientAddress } });
        var offSite = new List<string>();
        await context.RouteAsync("**/*", async route =>
        {
            if (new Uri(route.Request.Url).Host == "localhost")
            {
                await route.ContinueAsync();
                return;
            }
            lock (offSite)
            {
                offSite.Add(route.Request.Url);
            }
            await route.AbortAsync();
        });
        return (await context.NewPageAsync(), offSite);
    }

    /// <summary>A staff account of its own, so these sign-ins never meet another test's per-account sign-in limit.</summary>
    private async Task<(string Email, string Password)> NewStaffAsync()
    {
        var email = $"return-{Guid.NewGuid():N}@shop.local";
        const string password = "Return-url-Test-1!";
        await StaffClient.CreateAccountAsync(shop, email, password, StaffRoles.Staff);
        return (email, password);
    }

    /// <summary>Sign-ins are also limited per client address; the reports trust the loopback test client's forwarded address.</summary>
    private static string NewClientAddress() => $"198.51.100.{Random.Shared.Next(1, 255)}";
}
