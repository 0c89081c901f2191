using System.Net;
using System.Xml.Linq;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Shop.ServiceDefaults.Security;
using Shop.Staff;
using Shop.Tests.Infrastructure;
using Shop.Tests.Reporting;
using StackExchange.Redis;

namespace Shop.Tests.Hardening;

[Collection(ShopCollection.Name)]
public sealed class DataProtectionTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task A_storefront_form_shown_before_a_restart_of_web_is_accepted_after_it()
    {
        using var client = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.EdgeHttp}"));
        using var page = await client.GetAsync(await Browserlike.ProductPagePathAsync(shop));
        var antiforgery = SetCookie.Single(page, ".AspNetCore.Antiforgery.");
        var token = Browserlike.AntiforgeryToken(await page.Content.ReadAsStringAsync());

        await shop.StopAsync("web");
        await shop.StartAgainAsync("web");

        using var add = await client.PostFormAsync("/cart/add", [antiforgery], new() { ["__RequestVerificationToken"] = token, ["productId"] = "1" });
        Assert.Equal(HttpStatusCode.Redirect, add.StatusCode);
        Assert.Equal("/cart", add.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_staff_member_stays_signed_in_across_a_restart_of_reporting()
    {
        using var staff = new StaffClient(shop);
        await staff.SignedInAsync(StaffRoles.AdminEmail, await StaffClient.AdminPasswordAsync(shop));

        await shop.StopAsync("reporting");
        await shop.StartAgainAsync("reporting");

        using var reports = await staff.Http.GetAsync("/reports/stock");
        Assert.Equal(HttpStatusCode.OK, reports.StatusCode);
    }

    [Fact]
    public async Task Another_instance_configured_like_the_services_reads_their_cookies_and_tokens()
    {
        using var staff = new StaffClient(shop);
        await staff.SignedInAsync(StaffRoles.AdminEmail, await StaffClient.AdminPasswordAsync(shop));
        var staffCookie = staff.Cookies.GetCookies(staff.Http.BaseAddress!).Single(c => c.Name == "shop.staff").Value;
        using var storefront = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.EdgeHttp}"));
        using var page = await storefront.GetAsync(await Browserlike.ProductPagePathAsync(shop));
        var antiforgery = SetCookie.Single(page, ".AspNetCore.Antiforgery.");

        using var reporting = await InstanceAsync("shop-reporting");
        using var web = await InstanceAsync("shop-web");

        var ticket = new TicketDataFormat(Provider(reporting).CreateProtector(
            "Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationMiddleware", "Identity.Application", "v2")).Unprotect(staffCookie);
        Assert.Equal(StaffRoles.AdminEmail, ticket?.Principal.Identity?.Name);
        Assert.NotEmpty(Provider(web).CreateProtector("Microsoft.AspNetCore.Antiforgery.AntiforgeryToken.v1")
            .Unprotect(WebEncoders.Base64UrlDecode(antiforgery.Value)));
    }

    [Fact]
    public async Task Stored_keys_are_encrypted_with_the_secret_parameter()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("redis"));
        using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(
                [new("DataProtection:Key", await shop.ParameterAsync("dataprotection-key"))]).Build())
            .AddOptions<SharedKeyRingOptions>().BindConfiguration(SharedKeyRingOptions.SectionName).Services
            .BuildServiceProvider();

        foreach (var application in new[] { "shop-web", "shop-reporting" })
        {
            var keys = await redis.GetDatabase().ListRangeAsync(SharedDataProtection.KeyRingKey(application));
            Assert.NotEmpty(keys);
            foreach (var stored in keys.Select(k => XElement.Parse(k!)))
            {
                Assert.DoesNotContain(stored.Descendants(), e => e.Name.LocalName == "masterKey");
                var encrypted = Assert.Single(stored.Descendants(), e => e.Name.LocalName == "encryptedSecret").Elements().Single();
                var decrypted = new AesGcmXmlDecryptor(services).Decrypt(encrypted);
                Assert.Equal("masterKey", decrypted.Name.LocalName);
                Assert.NotEmpty(decrypted.Descendants().Single(e => e.Name.LocalName == "value").Value);
            }
        }
    }

    /// <summary>A host set up with the services' own extension and the shop's key-ring secret: another instance, in this process.</summary>
    private async Task<IHost> InstanceAsync(string applicationName)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection([new("DataProtection:Key", await shop.ParameterAsync("dataprotection-key"))]);
        var redis = await shop.ConnectionStringAsync("redis");
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redis));
        builder.AddSharedDataProtection(applicationName);
        return builder.Build();
    }

    private static IDataProtectionProvider Provider(IHost host) => host.Services.GetRequiredService<IDataProtectionProvider>();
}
