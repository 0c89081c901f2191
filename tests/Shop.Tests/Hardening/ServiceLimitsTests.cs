using System.Net;
using System.Text;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Hardening;

/// <summary>The limits each service states for itself (ServiceDefaults), called directly rather than through the edge.</summary>
[Collection(ShopCollection.Name)]
public sealed class ServiceLimitsTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    [Theory]
    [InlineData(ShopService.Api, "/api/orders")]
    [InlineData(ShopService.Web, "/cart/add")]
    [InlineData(ShopService.Reporting, "/login")]
    public async Task A_body_over_one_megabyte_is_refused_with_413_and_no_server_header(string service, string path)
    {
        using var client = new HttpClient { BaseAddress = ShopService.For(shop, service).BaseAddress };
        var body = new string('x', (int)Microsoft.Extensions.Hosting.Extensions.MaxRequestBodyBytes + 1);

        using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.False(response.Headers.Contains("Server"), $"{service} names its server: {response.Headers.Server}");
    }
}
