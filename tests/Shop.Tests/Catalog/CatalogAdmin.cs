using System.Net.Http.Json;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Catalog;

/// <summary>Staff changes to a product, through the admin API as staff make them (so every cache hears of them).</summary>
public static class CatalogAdmin
{
    /// <param name="update">The admin API's body: any of <c>name</c>, <c>price</c>, <c>stock</c>.</param>
    public static async Task UpdateProductAsync(this TestShop shop, int productId, object update)
    {
        using var edge = shop.EdgeHttpsClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/admin/catalog/items/{productId}") { Content = JsonContent.Create(update) };
        request.Headers.Add("X-Admin-Key", await shop.ParameterAsync("admin-key"));
        using var response = await edge.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"PUT product {productId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
