using System.Net;
using System.Text;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Hardening;

/// <summary>
/// <c>Orders:RateLimitExempt</c> takes networks as well as addresses: on a cluster the storefront's pods have a pod
/// network, not one address. The test shop exempts <see cref="TestShop.RateLimitExemptNetwork"/> besides the
/// storefront's 127.0.0.1; any address in it goes uncounted through the edge, which forwards it to the API.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class RateLimitExemptionTests(ShopFixture fixture)
{
    private const int OrdersPerMinute = 120;

    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task Order_requests_from_an_address_in_an_exempt_network_are_never_limited()
    {
        // 127.255.x.y: in the exempt /16, and an address of this test's own.
        var address = new IPAddress([127, 255, (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(1, 255)]);
        using var edge = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.EdgeHttp}"), address);

        for (var i = 0; i < OrdersPerMinute + 10; i++)
        {
            // Empty orders: refused as invalid (nothing written), but counted like any order request where counted.
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
            using var response = await edge.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"Order request {i + 1} from {address} answered {(int)response.StatusCode}.");
        }
    }
}
