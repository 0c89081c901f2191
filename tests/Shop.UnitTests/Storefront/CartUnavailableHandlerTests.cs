using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Shop.Web.Cart;
using StackExchange.Redis;

namespace Shop.UnitTests.Storefront;

/// <summary>What a shopper gets when the cart store (Redis) is down or too slow: a 503 that says the cart was not changed, not a 500.</summary>
public sealed class CartUnavailableHandlerTests
{
    [Theory]
    [MemberData(nameof(RedisFailures))]
    public async Task A_cart_post_without_Redis_is_a_503_with_Retry_After_that_sends_the_shopper_back_to_the_cart(Exception failure)
    {
        var (handled, context, page) = await HandleAsync("POST", "/cart/add", failure);

        Assert.True(handled);
        Assert.Equal(503, context.Response.StatusCode);
        Assert.Equal("5", context.Response.Headers.RetryAfter.ToString());
        Assert.Contains("Your cart cannot be reached right now", page);
        Assert.Contains("was not changed", page);
        Assert.Contains("href=\"/cart\"", page);
    }

    [Fact]
    public async Task The_cart_page_without_Redis_tries_itself_again()
    {
        var (handled, context, page) = await HandleAsync("GET", "/cart", new RedisConnectionException(ConnectionFailureType.UnableToConnect, "down"));

        Assert.True(handled);
        Assert.Equal(503, context.Response.StatusCode);
        Assert.Contains("url=/cart\"", page);
    }

    [Fact]
    public async Task A_bug_is_not_disguised_as_a_missing_cart()
    {
        var (handled, context, _) = await HandleAsync("POST", "/cart/add", new InvalidOperationException("a bug"));
        Assert.False(handled);
        Assert.Equal(200, context.Response.StatusCode);
    }

    public static TheoryData<Exception> RedisFailures() => new()
    {
        new RedisConnectionException(ConnectionFailureType.UnableToConnect, "No connection is active/available"),
        new RedisTimeoutException("Timeout awaiting response", CommandStatus.Sent),
        new InvalidOperationException("wrapped", new RedisConnectionException(ConnectionFailureType.SocketClosed, "closed")),
    };

    private static async Task<(bool Handled, HttpContext Context, string Page)> HandleAsync(string method, string path, Exception failure)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        var body = new MemoryStream();
        context.Response.Body = body;
        var handled = await new CartUnavailableHandler(NullLogger<CartUnavailableHandler>.Instance).TryHandleAsync(context, failure, default);
        return (handled, context, System.Text.Encoding.UTF8.GetString(body.ToArray()));
    }
}
