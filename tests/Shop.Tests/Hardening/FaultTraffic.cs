using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Shop.LoadTest;

namespace Shop.Tests.Hardening;

/// <summary>One request of the traffic kept up during a fault: what it was, how and when it was answered, and by which instance.</summary>
public sealed record Exchange(string Kind, int Status, TimeSpan Sent, TimeSpan Answered, string? ServedBy, string? RetryAfter, string Body)
{
    public override string ToString() => $"{Kind} {Status} at {Sent.TotalSeconds:0.0}s{(ServedBy is null ? "" : $" by {ServedBy}")}: {Body[..Math.Min(Body.Length, 200)]}";
}

/// <summary>
/// Lanes of requests that keep going, each lane one request after another, while a test breaks something. Every answer is
/// recorded; a request that got no answer (connection refused or reset, timeout) is status 0.
/// </summary>
public sealed class FaultTraffic : IAsyncDisposable
{
    private readonly ConcurrentQueue<Exchange> exchanges = new();
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource stop = new();
    private readonly List<Task> lanes = [];

    public TimeSpan Now => clock.Elapsed;

    public IReadOnlyList<Exchange> Exchanges => [.. exchanges];

    /// <summary>Runs <paramref name="iteration"/> (given its running number) over and over until <see cref="StopAsync"/>.</summary>
    public void Lane(Func<int, Task> iteration) => lanes.Add(Task.Run(async () =>
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            await iteration(n);
        }
    }));

    /// <summary>
    /// The instance that answered, or "edge" when the edge answered from its micro-cache: a cached answer keeps the
    /// X-Served-By of the instance that made it, which may have stopped since.
    /// </summary>
    private static string? ServedBy(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Cache-Status", out var cache) && cache.First() is "HIT" or "STALE" or "UPDATING" or "REVALIDATED" ? "edge"
        : response.Headers.TryGetValues("X-Served-By", out var servedBy) ? servedBy.First() : null;

    public async Task<Exchange> SendAsync(string kind, HttpClient client, HttpRequestMessage request)
    {
        var sent = clock.Elapsed;
        Exchange exchange;
        try
        {
            using var response = await client.SendAsync(request);
            exchange = new Exchange(kind, (int)response.StatusCode, sent, clock.Elapsed, ServedBy(response),
                response.Headers.RetryAfter?.ToString(), await response.Content.ReadAsStringAsync());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            exchange = new Exchange(kind, 0, sent, clock.Elapsed, null, null, $"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            request.Dispose();
        }
        exchanges.Enqueue(exchange);
        return exchange;
    }

    public Task WaitForAsync(int count, string what) =>
        Poll.UntilAsync(() => exchanges.Count >= count, what);

    public async Task<IReadOnlyList<Exchange>> StopAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(lanes);
        return Exchanges;
    }

    /// <summary>Requests per kind and status, e.g. <c>catalog: 200×5210; order: 202×980, 0×1</c>.</summary>
    public static string Summary(IEnumerable<Exchange> exchanges) => string.Join("; ", exchanges.GroupBy(e => e.Kind).OrderBy(g => g.Key)
        .Select(g => $"{g.Key}: " + string.Join(", ", g.GroupBy(e => e.Status).OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Count()}"))));

    /// <summary>
    /// A client of the edge that connects from its own loopback address (all of 127/8 is this machine), so per-address
    /// limits see a household of its own. With <paramref name="cookies"/> it keeps cookies as a browser does.
    /// </summary>
    public static HttpClient Client(int edgePort, IPAddress source, CookieContainer? cookies = null)
    {
        var handler = ClientAddresses.Handler(source, edgePort);
        if (cookies is not null)
        {
            handler.UseCookies = true;
            handler.CookieContainer = cookies;
        }
        return new HttpClient(handler) { BaseAddress = new Uri($"http://localhost:{edgePort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async ValueTask DisposeAsync()
    {
        if (!stop.IsCancellationRequested)
        {
            await StopAsync();
        }
        stop.Dispose();
    }
}
