using System.Net;
using System.Text;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Hardening;

/// <summary>
/// An error is answered as problem details whatever the client said it accepts: a client asking for CSV or an image
/// still learns what was wrong, and a refusal never turns into a 500 for want of a writer.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class ProblemAnswerTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    public static TheoryData<string, string, string, string?, string?, HttpStatusCode> Refusals => new()
    {
        // No admin key: the admin scheme's own challenge.
        { ShopService.Api, "PUT", "/api/admin/catalog/items/1", """{"price":1}""", "application/json", HttpStatusCode.Unauthorized },
        // JSON in another charset: refused before binding.
        { ShopService.Api, "POST", "/api/orders", "{}", "application/json; charset=utf-7", HttpStatusCode.UnsupportedMediaType },
        // A form post without its antiforgery token: the status code page.
        { ShopService.Web, "POST", "/cart/add", "productId=1", "application/x-www-form-urlencoded", HttpStatusCode.BadRequest },
        { ShopService.Reporting, "GET", "/reports/stock.csv", null, null, HttpStatusCode.Unauthorized },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refusal_is_a_problem_whatever_the_client_accepts(
        string service, string method, string path, string? body, string? contentType, HttpStatusCode expected)
    {
        using var client = new HttpClient { BaseAddress = ShopService.For(shop, service).BaseAddress };
        foreach (var accept in new[] { "text/csv", "image/png" })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType!);
            }
            request.Headers.TryAddWithoutValidation("Accept", accept);

            using var response = await client.SendAsync(request);

            Assert.Equal(expected, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal((int)expected, problem.RootElement.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("title").GetString()));
        }
    }
}
