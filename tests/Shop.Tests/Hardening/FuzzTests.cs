using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Shop.ServiceDefaults.Endpoints;
using Shop.Staff;
using Shop.Tests.Infrastructure;
using Shop.Tests.Reporting;
using Xunit.Abstractions;

namespace Shop.Tests.Hardening;

/// <summary>
/// Every endpoint of the API, the storefront and the staff reports, as their own routing lists them, answers malformed
/// requests with a 4xx a person can read — never a 5xx, never a stack trace — and writes nothing for them.
/// <c>SHOP_FUZZ_REQUESTS</c> sets the requests per endpoint (<c>./shop test --full</c>: 2,000), <c>SHOP_FUZZ_SEED</c> replays a run.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed partial class FuzzTests(ShopFixture fixture, ITestOutputHelper output)
{
    public const int DefaultRequestsPerEndpoint = 200;
    /// <summary>Static files are served by the framework from one middleware; two of them stand for the rest.</summary>
    private const int StaticAssetsFuzzed = 2;
    private const int Parallelism = 8;
    private const int FailuresShown = 25;

    private readonly TestShop shop = fixture.Shop;

    [Theory]
    [InlineData(ShopService.Api)]
    [InlineData(ShopService.Web)]
    [InlineData(ShopService.Reporting)]
    public async Task Malformed_requests_get_a_readable_4xx_and_write_nothing(string serviceName)
    {
        var requestsPerEndpoint = int.TryParse(Environment.GetEnvironmentVariable("SHOP_FUZZ_REQUESTS"), out var n) && n > 0 ? n : DefaultRequestsPerEndpoint;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("SHOP_FUZZ_SEED"), out var s) ? s : Random.Shared.Next();
        var service = ShopService.For(shop, serviceName);
        var endpoints = await service.EndpointsAsync();
        var targets = endpoints.Where(e => e.Kind != EndpointInventory.Kinds.StaticAsset)
            .Concat(endpoints.Where(e => e.Kind == EndpointInventory.Kinds.StaticAsset).Take(StaticAssetsFuzzed))
            .Where(e => e.Route != EndpointInventory.Path)
            .ToList();
        var credentials = await CredentialsAsync(service);
        output.WriteLine($"{serviceName}: {endpoints.Count} endpoints, fuzzing {targets.Count} × {requestsPerEndpoint} requests, seed {seed}");

        var before = await WrittenState.ReadAsync(shop);
        var failures = new ConcurrentBag<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var stopwatch = Stopwatch.StartNew();
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, MaxConnectionsPerServer = Parallelism })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
        // Wrong admin keys count against the address they come from (then every admin call from it is a 429): sent from
        // an address of their own, they leave the right key's requests free to reach the handlers' own checks.
        var guesserAddress = Browserlike.NewSourceAddress();
        using var guesser = Browserlike.Client(service.BaseAddress, guesserAddress);
        guesser.Timeout = TimeSpan.FromSeconds(60);

        var work = targets.SelectMany((endpoint, e) => Enumerable.Range(0, requestsPerEndpoint).Select(i => (endpoint, i, requestSeed: RequestSeed(seed, e, i))));
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (job, ct) =>
        {
            var generator = new MalformedRequests(new Random(job.requestSeed));
            // One request per endpoint with a body over the server's limit: enough to prove the limit, without moving gigabytes.
            var oversized = job.i == 0 && job.endpoint.Methods.Any(m => m is "POST" or "PUT");
            var request = generator.Next(service.BaseAddress, job.endpoint, credentials, oversized);
            var largeBody = request.Message.Content?.Headers.ContentLength >= MalformedRequests.HugeStringChars;
            // A server does not read on past its body limit, so the connection that carried such a body cannot carry
            // another request: sent on a pooled connection, the next request of the run would fail with it.
            request.Message.Headers.ConnectionClose = largeBody ? true : null;
            // Sent only once the service asks for it (RawHttp): a service that refuses it, or needs no body, answers instead,
            // so its answer is always read.
            request.Message.Headers.ExpectContinue = largeBody ? true : null;
            var what = $"{request.Message.Method} {job.endpoint.Route} [{request.Defect}] (request seed {job.requestSeed})";
            try
            {
                // A wrong admin key is sent from an address of its own: wrong keys are counted per address, and the
                // suite's own 127.0.0.1 must not be throttled by the fuzz.
                var guessing = request.Message.Headers.TryGetValues("X-Admin-Key", out var key) && key.Single() is { Length: > 0 } sent && sent != credentials.AdminKey;
                // HttpClient would lose the answer of a service that needs no body (it sends one after any 2xx anyway).
                using var response = largeBody
                    ? (await RawHttp.SendAsync(request.Message, ct, guessing ? guesserAddress : null)) switch
                    {
                        { Status: 0 } => throw new HttpRequestException("The connection closed without an answer."),
                        var answer => answer.ToResponseMessage(),
                    }
                    : await (guessing ? guesser : http).SendAsync(request.Message, HttpCompletionOption.ResponseHeadersRead, ct);
                statuses.AddOrUpdate((int)response.StatusCode, 1, (_, c) => c + 1);
                if (await JudgeAsync(serviceName, request, response) is { } failure)
                {
                    failures.Add($"{what}: {failure}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or System.Net.Sockets.SocketException)
            {
                // Every request, a large body's too, could be answered (see ExpectContinue): a closed connection or a
                // broken pipe instead of a status is a missing answer, not a refusal.
                failures.Add($"{what}: no answer ({ex.GetType().Name}: {ex.Message})");
            }
            finally
            {
                request.Message.Dispose();
            }
        });
        output.WriteLine($"{targets.Count * requestsPerEndpoint} requests in {stopwatch.Elapsed:mm\\:ss}; statuses {string.Join(", ", statuses.OrderBy(x => x.Key).Select(x => $"{x.Key}×{x.Value}"))}");

        await Task.Delay(WrittenState.CounterRefresh);
        var changes = (await WrittenState.ReadAsync(shop)).ChangesSince(before).ToList();
        Assert.True(failures.IsEmpty && changes.Count == 0,
            $"Fuzzing {serviceName} (seed {seed}, SHOP_FUZZ_SEED={seed} replays it): {failures.Count} bad answers, {changes.Count} writes.{Environment.NewLine}"
            + string.Join(Environment.NewLine, changes.Concat(failures.OrderBy(f => f.Contains(": 5", StringComparison.Ordinal) ? 0 : 1).ThenBy(f => f).Take(FailuresShown))));
    }

    /// <summary>
    /// The fuzz never sends a valid order (its product ids never exist), so the one field that reached the database
    /// unchecked gets its own case: a NUL in the name, which Postgres refuses, once made the insert fail with a 500.
    /// </summary>
    [Fact]
    public async Task An_otherwise_valid_order_with_control_characters_in_the_name_is_a_400_and_writes_nothing()
    {
        var before = await WrittenState.ReadAsync(shop);
        using var api = new HttpClient { BaseAddress = ShopService.For(shop, ShopService.Api).BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders")
        {
            Content = new StringContent("""{"customer":{"email":"ana@example.com","name":"Ana\u0000Lee"},"items":[{"productId":1,"quantity":1}]}""",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));

        using var response = await api.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("customer.name", await response.Content.ReadAsStringAsync());
        await Task.Delay(WrittenState.CounterRefresh);
        Assert.Empty((await WrittenState.ReadAsync(shop)).ChangesSince(before));
    }

    /// <returns>Why the answer is wrong, or null.</returns>
    private static async Task<string?> JudgeAsync(string service, MalformedRequest request, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        var body = await ReadPrefixAsync(response);
        if (status >= 500)
        {
            return $"{status} {Shorten(body)}";
        }
        if (StackTrace().IsMatch(body))
        {
            return $"{status} with internals in the body: {Shorten(StackTrace().Match(body).Value)}";
        }
        // An endpoint that needs no input (joining the waiting room, a page) may answer 2xx or 3xx; what it wrote is counted apart.
        if (status < 400)
        {
            return null;
        }
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        // Kestrel refuses an over-long request line or header block, and a path with an encoded NUL, before any middleware
        // runs, with an empty body; everything that reaches the app gets a body from its status code pages.
        if (body.Length == 0 && response.Content.Headers.ContentType is null
            && (status is 414 or 431 || status == 400 && request.Message.RequestUri!.AbsolutePath.Contains("%00", StringComparison.Ordinal)))
        {
            return null;
        }
        var browser = request.Browser && service != ShopService.Api;
        if (browser)
        {
            return null;
        }
        return mediaType == "application/problem+json" || HttpMethods.IsHead(request.Message.Method.Method) && body.Length == 0 && mediaType is null or "application/problem+json"
            ? null
            : $"{status} as {mediaType ?? "no content type"}, not application/problem+json: {Shorten(body)}";
    }

    /// <summary>Not HashCode.Combine: that is salted per process, and a seed must replay the same requests in another run.</summary>
    private static int RequestSeed(int seed, int endpoint, int request) => unchecked((seed * 1_000_003 + endpoint) * 1_000_003 + request);

    private static async Task<string> ReadPrefixAsync(HttpResponseMessage response)
    {
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        var read = 0;
        int last;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (read < buffer.Length && (last = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token)) > 0)
            {
                read += last;
            }
        }
        catch (OperationCanceledException)
        {
            // An answer that never ends: what arrived so far is enough to judge.
        }
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    private async Task<Credentials> CredentialsAsync(ShopService service)
    {
        switch (service.Name)
        {
            case ShopService.Api:
                return new Credentials(null, null, await shop.ParameterAsync("admin-key"));
            case ShopService.Web:
                {
                    // The antiforgery pair of a product page's add-to-cart form (shown while in stock): valid for every form post of the storefront.
                    using var api = new HttpClient { BaseAddress = ShopService.For(shop, ShopService.Api).BaseAddress };
                    using var page = JsonDocument.Parse(await api.GetStringAsync("/api/catalog/items?pageSize=100"));
                    var inStock = page.RootElement.GetProperty("items").EnumerateArray().First(i => i.GetProperty("inStock").GetBoolean()).GetProperty("id").GetInt32();
                    var (cookie, token) = await AntiforgeryAsync(service.BaseAddress, $"/product/{inStock}", null);
                    return new Credentials(cookie, token, null);
                }
            default:
                {
                    // Signed in as the admin, so bad input reaches the handlers behind the staff policies too.
                    var cookies = new CookieContainer();
                    using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = service.BaseAddress };
                    var (_, loginToken) = await AntiforgeryAsync(service.BaseAddress, "/login", http);
                    using var signIn = await http.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
                    {
                        ["Input.Email"] = StaffRoles.AdminEmail, ["Input.Password"] = await StaffClient.AdminPasswordAsync(shop),
                        ["__RequestVerificationToken"] = loginToken, ["_handler"] = "login",
                    }));
                    Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
                    var (_, token) = await AntiforgeryAsync(service.BaseAddress, "/staff", http);
                    return new Credentials(cookies.GetCookieHeader(service.BaseAddress), token, null);
                }
        }
    }

    private static async Task<(string Cookie, string Token)> AntiforgeryAsync(Uri baseAddress, string page, HttpClient? client)
    {
        var cookies = new CookieContainer();
        using var own = client is null ? new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = baseAddress } : null;
        var http = client ?? own!;
        var html = await http.GetStringAsync(page);
        var token = AntiforgeryField().Match(html);
        Assert.True(token.Success, $"No antiforgery token on {page}");
        return (cookies.GetCookieHeader(baseAddress), WebUtility.HtmlDecode(token.Groups[1].Value));
    }

    private static string Shorten(string body) => body.Length > 300 ? body[..300] + "…" : body;

    [GeneratedRegex(@"(\n\s+at [\w.<>`]+[.(])|\b(System|Microsoft|Npgsql|StackExchange|RabbitMQ)\.[\w.]*Exception\b")]
    private static partial Regex StackTrace();

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
