using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Shop.Web.Platform;

namespace Shop.UnitTests.Storefront;

/// <summary>What a shopper gets when the API behind a page cannot answer at a peak: a 503 that says so, not a 500.</summary>
public sealed class ApiUnavailableHandlerTests
{
    [Theory]
    [MemberData(nameof(ApiFailures))]
    public async Task An_API_that_cannot_answer_becomes_a_503_with_Retry_After_and_a_plain_message(Exception failure)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = "/product/7";
        var body = new MemoryStream();
        context.Response.Body = body;

        var handled = await new ApiUnavailableHandler(NullLogger<ApiUnavailableHandler>.Instance).TryHandleAsync(context, failure, default);

        Assert.True(handled);
        Assert.Equal(503, context.Response.StatusCode);
        Assert.Equal("5", context.Response.Headers.RetryAfter.ToString());
        var page = System.Text.Encoding.UTF8.GetString(body.ToArray());
        Assert.Contains("very busy", page);
        Assert.Contains("href=\"/product/7\"", page);
    }

    public static TheoryData<Exception> ApiFailures() => new()
    {
        new HttpRequestException(HttpRequestError.ConnectionError, "no instance reachable"),
        new HttpRequestException("503 from the API", null, System.Net.HttpStatusCode.ServiceUnavailable),
        new TaskCanceledException("no answer in time", new TimeoutException()),
        new InvalidOperationException("wrapped", new HttpRequestException("refused")),
    };

    [Fact]
    public async Task A_bug_is_not_disguised_as_a_busy_shop()
    {
        var context = new DefaultHttpContext();
        var handled = await new ApiUnavailableHandler(NullLogger<ApiUnavailableHandler>.Instance)
            .TryHandleAsync(context, new InvalidOperationException("a bug"), default);
        Assert.False(handled);
        Assert.Equal(200, context.Response.StatusCode);
    }
}
