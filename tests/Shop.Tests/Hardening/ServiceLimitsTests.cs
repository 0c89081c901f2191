using System.Net;
using System.Text;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Hardening;

/// <summary>The limits each service states for itself (ServiceDefaults), called directly rather than through the edge.</summary>
[Collection(ShopCollection.Name)]
public sealed class ServiceLimitsTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task An_api_body_over_one_megabyte_is_refused_with_a_413_problem()
    {
        using var client = new HttpClient { BaseAddress = ShopService.For(shop, ShopService.Api).BaseAddress };
        var body = $"{{\"padding\":\"{new string('x', (int)Shop.ServiceDefaults.Endpoints.RequestLimits.MaxRequestBodyBytes)}\"}}";

        using var response = await client.PostAsync("/api/orders", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData(ShopService.Api, "/api/instance")]
    [InlineData(ShopService.Web, "/")]
    [InlineData(ShopService.Reporting, "/login")]
    public async Task No_service_names_its_server_software(string service, string path)
    {
        using var client = new HttpClient { BaseAddress = ShopService.For(shop, service).BaseAddress };

        using var response = await client.GetAsync(path);

        Assert.True(response.IsSuccessStatusCode, $"{service} {path}: {(int)response.StatusCode}");
        Assert.False(response.Headers.Contains("Server"), $"{service} names its server: {response.Headers.Server}");
    }
}
