using Shop.ServiceDefaults.Endpoints;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Hardening;

/// <summary>
/// The server's own refusals, straight to each service (the edge would stop these first): a body over the limit is a
/// 413, a body that trickles in a 408, both as problems a person can read; a header block over the limit a 431. Spoken
/// over a raw socket, so the test controls the pace and reads exactly what the service answers.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class ServerRefusalTests(ShopFixture fixture)
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(45);

    private readonly TestShop shop = fixture.Shop;

    /// <summary>A body-reading endpoint of each service: the API's order intake, the storefront's cart and the staff sign-in (both forms).</summary>
    public static TheoryData<string, string, string> BodyEndpoints => new()
    {
        { ShopService.Api, "/api/orders", "application/json" },
        { ShopService.Web, "/cart/add", "application/x-www-form-urlencoded" },
        { ShopService.Reporting, "/login", "application/x-www-form-urlencoded" },
    };

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task A_body_over_the_limit_is_a_413_problem(string service, string path, string contentType)
    {
        // The 31 MB (over Kestrel's own default too) and one byte over the shop's limit. The client announces the
        // size and waits for the go-ahead, so the answer is never lost to a half-sent body.
        foreach (var length in new[] { 31L * 1024 * 1024, RequestLimits.MaxRequestBodyBytes + 1 })
        {
            var answer = await RawAnswerAsync(service,
                $"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {contentType}\r\nContent-Length: {length}\r\nExpect: 100-continue\r\n"
                + "Idempotency-Key: refusal-413\r\nAccept: application/json\r\n\r\n", trickle: false);

            answer.AssertProblem(413, "larger than the 1 MB", $"{service} {path}, {length} bytes");
        }
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task A_body_that_trickles_in_is_a_408_problem(string service, string path, string contentType)
    {
        // One byte a second, far under the minimum rate (240 bytes a second after 5 seconds' grace): cut off within seconds.
        var answer = await RawAnswerAsync(service,
            $"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {contentType}\r\nContent-Length: 1000\r\n"
            + "Idempotency-Key: refusal-408\r\nAccept: application/json\r\n\r\n", trickle: true);

        answer.AssertProblem(408, "arrived too slowly", $"{service} {path}");
    }

    [Theory]
    [InlineData(ShopService.Api, "/api/catalog/items")]
    [InlineData(ShopService.Web, "/")]
    [InlineData(ShopService.Reporting, "/login")]
    public async Task A_header_block_over_the_limit_is_a_431(string service, string path)
    {
        var answer = await RawAnswerAsync(service,
            $"GET {path} HTTP/1.1\r\nHost: localhost\r\nX-Padding: {new string('a', 40 * 1024)}\r\nAccept: application/json\r\n\r\n", trickle: false);

        Assert.True(answer.Status == 431, $"{service} {path}: {answer}");
    }

    private async Task<RawAnswer> RawAnswerAsync(string service, string head, bool trickle)
    {
        using var timeout = new CancellationTokenSource(AnswerTimeout);
        return await RawHttp.SendAsync(ShopService.For(shop, service).BaseAddress, head, [], trickle, timeout.Token);
    }
}

internal static class RawAnswerAssertions
{
    public static void AssertProblem(this RawAnswer answer, int status, string detail, string what)
    {
        Assert.True(answer.Status == status, $"{what}: expected {status}, got {answer}");
        Assert.True(answer.Header("Content-Type")?.StartsWith("application/problem+json", StringComparison.OrdinalIgnoreCase) == true, $"{what}: not a problem: {answer}");
        Assert.Contains($"\"status\":{status}", answer.Text, StringComparison.Ordinal);
        Assert.Contains(detail, answer.Text, StringComparison.Ordinal);
    }
}
