using System.Net;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Platform;

[Collection(ShopCollection.Name)]
public sealed class HealthTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    public static TheoryData<string> Services => ["api-1", "api-2", "api-3", "web", "orderworker-1", "orderworker-2", "reporting"];

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Service_answers_health_and_alive(string service)
    {
        using var client = shop.App.CreateHttpClient(service, "http");

        using var health = await client.GetAsync("/health");
        using var alive = await client.GetAsync("/alive");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task Reporting_reads_from_the_standby_on_its_fixed_port()
    {
        using var staff = new Reporting.StaffClient(shop);
        await staff.SignedInAsync(Shop.Staff.StaffRoles.AdminEmail, await Reporting.StaffClient.AdminPasswordAsync(shop));

        var page = await staff.Http.GetStringAsync("/");

        Assert.Contains("<dd data-testid=\"in-recovery\">yes</dd>", page);
    }
}
