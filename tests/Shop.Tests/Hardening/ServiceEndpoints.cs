using System.Net.Http.Json;
using Shop.ServiceDefaults.Endpoints;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Hardening;

/// <summary>A service of the test shop, addressed directly (not through the edge), and its endpoints as its own routing lists them.</summary>
public sealed record ShopService(string Name, Uri BaseAddress)
{
    public const string Api = "api";
    public const string Web = "web";
    public const string Reporting = "reporting";

    public static ShopService For(TestShop shop, string name) => name switch
    {
        Api => new(Api, new Uri($"http://localhost:{shop.Ports.ApiBase}")),
        Web => new(Web, new Uri($"http://localhost:{shop.Ports.Web}")),
        Reporting => new(Reporting, new Uri($"http://localhost:{shop.Ports.Reporting}")),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "api, web or reporting"),
    };

    public async Task<IReadOnlyList<EndpointEntry>> EndpointsAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        var endpoints = await http.GetFromJsonAsync<List<EndpointEntry>>(EndpointInventory.Path);
        Assert.True(endpoints is { Count: > 0 }, $"{Name} listed no endpoints at {EndpointInventory.Path}");
        return endpoints;
    }
}
