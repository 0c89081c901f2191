using System.Net.Sockets;
using System.Text;
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

    /// <summary>Sends <paramref name="head"/>, then (trickling) one body byte a second, and reads the answer until it is complete.</summary>
    private async Task<RawAnswer> RawAnswerAsync(string service, string head, bool trickle)
    {
        var address = ShopService.For(shop, service).BaseAddress;
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(AnswerTimeout);
        await tcp.ConnectAsync(address.Host, address.Port, timeout.Token);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token);
        var reading = ReadAnswerAsync(stream, timeout.Token);
        while (trickle && !reading.IsCompleted)
        {
            try
            {
                // A space: still the start of a valid JSON or form body, so only its pace can be refused.
                await stream.WriteAsync(" "u8.ToArray(), timeout.Token);
            }
            catch (IOException)
            {
                break; // The server stopped reading; its answer is what counts.
            }
            await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(1), timeout.Token));
        }
        return await reading;
    }

    /// <summary>A 100 Continue is skipped; the final answer is read to the end of its body (by length, chunks or close).</summary>
    private static async Task<RawAnswer> ReadAnswerAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var received = new List<byte>();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var text = Encoding.UTF8.GetString([.. received]);
            if (text.StartsWith("HTTP/1.1 100", StringComparison.Ordinal) && text.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0)
            {
                received.RemoveRange(0, end + 4);
                continue;
            }
            if (RawAnswer.TryParse(text, out var answer))
            {
                return answer;
            }
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, cancellationToken);
            }
            catch (IOException)
            {
                read = 0;
            }
            if (read == 0)
            {
                return RawAnswer.Parse(text);
            }
            received.AddRange(buffer.AsSpan(0, read));
        }
    }

    private sealed record RawAnswer(int Status, string Head, string Body)
    {
        /// <summary>True once <paramref name="text"/> holds a whole answer: its head and all of its body.</summary>
        public static bool TryParse(string text, out RawAnswer answer)
        {
            answer = Parse(text);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
            {
                return false;
            }
            var body = text[(end + 4)..];
            var head = text[..end];
            if (Header(head, "Content-Length") is { } length)
            {
                return Encoding.UTF8.GetByteCount(body) >= int.Parse(length);
            }
            return Header(head, "Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true && body.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
        }

        public static RawAnswer Parse(string text)
        {
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            var head = end < 0 ? text : text[..end];
            var status = head.Split(' ', 3) is [['H', 'T', 'T', 'P', ..], var code, ..] && int.TryParse(code, out var s) ? s : 0;
            return new(status, head, end < 0 ? "" : text[(end + 4)..]);
        }

        public void AssertProblem(int status, string detail, string what)
        {
            Assert.True(Status == status, $"{what}: expected {status}, got {this}");
            Assert.True(Header(Head, "Content-Type")?.StartsWith("application/problem+json", StringComparison.OrdinalIgnoreCase) == true, $"{what}: not a problem: {this}");
            Assert.Contains($"\"status\":{status}", Body, StringComparison.Ordinal);
            Assert.Contains(detail, Body, StringComparison.Ordinal);
        }

        public override string ToString() => $"{Head}{Environment.NewLine}{(Body.Length > 500 ? Body[..500] : Body)}";

        private static string? Header(string head, string name) =>
            head.Split("\r\n").Skip(1).Select(line => line.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))?[1].Trim();
    }
}
