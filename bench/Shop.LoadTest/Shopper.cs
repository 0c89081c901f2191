using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Shop.LoadTest;

/// <summary>
/// One shopper on sale day: joins the waiting room, waits as the waiting page does (polls the sale's shared queue
/// resource through the edge, asks the services only as <see cref="WaiterRules"/> says), then browses the catalog,
/// puts 1–3 sale products in the storefront's cart, orders them with an idempotency key and polls the order until it
/// is final. Carries its own cookies, as a browser would (ticket, admission, cart and antiforgery cookies).
/// </summary>
public sealed partial class Shopper(int number, ClientAddresses clients, LoadTestOptions options, Recorder recorder, LoadTestCounters counters)
{
    private static readonly TimeSpan OrderPollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxOrderPollInterval = TimeSpan.FromSeconds(5);

    private readonly CookieJar cookies = new();
    // Made when the shopper is admitted: a waiting shopper needs none (250,000 of them wait in --waiting-only).
    private Random? random;

    private Random Random => random ??= new Random(number);

    /// <summary>The order this shopper placed, once the shop accepted it (202).</summary>
    public PlacedOrder? Order { get; private set; }

    public async Task RunAsync(CancellationToken saleOver)
    {
        try
        {
            var joinedAt = recorder.Now;
            if (!await WaitForAdmissionAsync(saleOver))
            {
                Interlocked.Increment(ref counters.GaveUp);
                return;
            }
            recorder.TimeInQueue(recorder.Now - joinedAt);
            Interlocked.Increment(ref counters.Admitted);
            if (options.WaitingOnly)
            {
                return;
            }

            for (var page = Random.Next(3, 6); page > 0; page--)
            {
                await SendAsync(RequestKind.Catalog, HttpMethod.Get, $"api/catalog/items?page={Random.Next(1, 11)}&pageSize=20", null, saleOver);
            }

            var cart = options.ProductIds.OrderBy(_ => Random.Next()).Take(Random.Next(1, 4)).ToList();
            foreach (var productId in cart)
            {
                await AddToCartAsync(productId, saleOver);
            }

            await PlaceOrderAsync(cart, saleOver);
            if (Order is not null)
            {
                await FollowOrderAsync(saleOver);
            }
        }
        catch (OperationCanceledException) when (saleOver.IsCancellationRequested)
        {
            Interlocked.Increment(ref counters.GaveUp);
        }
        finally
        {
            Interlocked.Increment(ref counters.Done);
        }
    }

    /// <summary>Polls a settled-or-not order once more; used while the queue drains after the sale.</summary>
    public async Task<bool> RefreshOrderAsync(CancellationToken cancellationToken)
    {
        if (Order is null || Order.IsFinal)
        {
            return true;
        }
        await PollOrderOnceAsync(cancellationToken);
        return Order.IsFinal;
    }

    private async Task<bool> WaitForAdmissionAsync(CancellationToken saleOver)
    {
        counters.StartWaiting();
        double? joinedAt = null;
        try
        {
            var status = await JoinAsync(saleOver);
            joinedAt = recorder.Now;
            var lastStatusAt = recorder.Now;
            while (true)
            {
                switch (status?.State)
                {
                    case "Admitted" or "Open":
                        return true;
                    case "Expired":
                        status = await JoinAsync(saleOver);
                        continue;
                }
                await Task.Delay(TimeSpan.FromSeconds(options.PollSeconds), saleOver);
                // A shop without the shared queue resource (no queueUrl at the join): the status is the poll.
                var call = StatusCall.Heartbeat;
                if (status?.QueueUrl is { } queueUrl)
                {
                    if (await PollQueueAsync(queueUrl, saleOver) is not { } queue)
                    {
                        continue;
                    }
                    call = WaiterRules.Next(queue, status.Position, recorder.Now - lastStatusAt);
                }
                if (call == StatusCall.None)
                {
                    continue;
                }
                lastStatusAt = recorder.Now;
                using var response = await SendAsync(RequestKind.Status, HttpMethod.Get, "api/waitingroom/status", null, saleOver, waiting: true);
                if (response?.StatusCode == HttpStatusCode.NotFound)
                {
                    status = await JoinAsync(saleOver); // the ticket is unknown to the sale: join again
                }
                else if (response?.IsSuccessStatusCode == true && await ReadStatusAsync(response, saleOver) is { } next)
                {
                    status = next with { QueueUrl = next.QueueUrl ?? status?.QueueUrl };
                }
            }
        }
        finally
        {
            if (joinedAt is { } at)
            {
                recorder.Waited(recorder.Now - at);
            }
            Interlocked.Decrement(ref counters.Waiting);
        }
    }

    /// <summary>One read of the sale's queue resource over the crowd's shared connections; null when it gave no usable answer.</summary>
    private async Task<QueueState?> PollQueueAsync(string queueUrl, CancellationToken saleOver)
    {
        var startedAt = recorder.Now;
        var watch = Stopwatch.StartNew();
        var queued = Recorder.QueuedHere.Value = new StrongBox<double>();
        try
        {
            using var response = await clients.Crowd.GetAsync(queueUrl.TrimStart('/'), HttpCompletionOption.ResponseContentRead, saleOver);
            var cache = response.Headers.TryGetValues("X-Cache-Status", out var values) ? values.FirstOrDefault() : null;
            recorder.Record(RequestKind.QueuePoll, startedAt, watch.Elapsed.TotalMilliseconds - queued.Value, (int)response.StatusCode,
                response.Headers.TryGetValues("X-Served-By", out var servedBy) ? servedBy.FirstOrDefault() : null,
                fromEdgeCache: cache is "HIT" or "STALE" or "UPDATING");
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref counters.Errors);
                return null;
            }
            return await response.Content.ReadFromJsonAsync<QueueState>(Json.Options, saleOver);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is TaskCanceledException && !saleOver.IsCancellationRequested))
        {
            recorder.Record(RequestKind.QueuePoll, startedAt, watch.Elapsed.TotalMilliseconds, 0, null);
            Interlocked.Increment(ref counters.Errors);
            return null;
        }
    }

    private async Task<WaitingStatus?> JoinAsync(CancellationToken saleOver)
    {
        while (true)
        {
            using var response = await SendAsync(RequestKind.Join, HttpMethod.Post, "api/waitingroom/join", null, saleOver, joining: true);
            if (response?.IsSuccessStatusCode == true)
            {
                return await ReadStatusAsync(response, saleOver);
            }
            // 429 (this address joined too often) and 503 (the queue is down) say when to come back.
            var retryAfter = response?.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(2);
            await Task.Delay(retryAfter + TimeSpan.FromMilliseconds(System.Random.Shared.Next(0, 500)), saleOver);
        }
    }

    // The ticket and the admission travel as cookies, as in a browser; the body says where the shopper stands.
    private static Task<WaitingStatus?> ReadStatusAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        response.Content.ReadFromJsonAsync<WaitingStatus>(Json.Options, cancellationToken);

    private async Task AddToCartAsync(int productId, CancellationToken saleOver)
    {
        string? token = null;
        using (var page = await SendAsync(RequestKind.ProductPage, HttpMethod.Get, $"product/{productId}", null, saleOver))
        {
            if (page?.IsSuccessStatusCode == true)
            {
                token = AntiforgeryField().Match(await page.Content.ReadAsStringAsync(saleOver)) is { Success: true } match
                    ? WebUtility.HtmlDecode(match.Groups[1].Value)
                    : null;
            }
        }
        if (token is null)
        {
            return;
        }
        using var form = new FormUrlEncodedContent(
        [
            new("productId", productId.ToString()),
            new("quantity", "1"),
            new("__RequestVerificationToken", token),
        ]);
        await SendAsync(RequestKind.CartAdd, HttpMethod.Post, "cart/add", form, saleOver);
    }

    private async Task PlaceOrderAsync(IReadOnlyList<int> cart, CancellationToken saleOver)
    {
        var key = Guid.NewGuid().ToString();
        var body = new
        {
            customer = new { email = $"shopper{number}@loadtest.shop.local", name = $"Load test shopper {number}" },
            items = cart.Select(id => new { productId = id, quantity = 1 }),
        };
        // A lost answer is retried with the same key: the shop answers with the same order, never a second one.
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            using var content = JsonContent.Create(body, options: Json.Options);
            using var response = await SendAsync(RequestKind.Order, HttpMethod.Post, "api/orders", content, saleOver, ("Idempotency-Key", key));
            if (response?.StatusCode == HttpStatusCode.Accepted)
            {
                var accepted = await response.Content.ReadFromJsonAsync<OrderAccepted>(Json.Options, saleOver);
                Order = new PlacedOrder(accepted!.OrderId, [.. cart]);
                Interlocked.Increment(ref counters.OrdersAccepted);
                return;
            }
            if (response is not null && (int)response.StatusCode < 500 && response.StatusCode != HttpStatusCode.TooManyRequests)
            {
                // Refused for a reason a retry does not change (sold out is settled later, not here).
                recorder.OrderRefused(await RefusalReasonAsync(response, saleOver));
                return;
            }
            await Task.Delay(TimeSpan.FromSeconds(attempt), saleOver);
        }
    }

    /// <summary>"403 expired", "403 missing", …: the admission gate names its reason; other refusals their title.</summary>
    private static async Task<string> RefusalReasonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<Refusal>(Json.Options, cancellationToken);
            return $"{(int)response.StatusCode} {problem?.Reason ?? problem?.Title ?? "no reason given"}";
        }
        catch (JsonException)
        {
            return $"{(int)response.StatusCode} no reason given";
        }
    }

    private async Task FollowOrderAsync(CancellationToken saleOver)
    {
        // As the storefront's order page (order-status.js) does: soon at first, then 1.5 times later each time up to
        // 5 s, so a slow queue is not also flooded with polls.
        for (var delay = OrderPollInterval; !Order!.IsFinal; delay = TimeSpan.FromTicks(Math.Min((long)(delay.Ticks * 1.5), MaxOrderPollInterval.Ticks)))
        {
            await Task.Delay(delay, saleOver);
            await PollOrderOnceAsync(saleOver);
        }
    }

    private async Task PollOrderOnceAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(RequestKind.OrderStatus, HttpMethod.Get, $"api/orders/{Order!.Id}", null, cancellationToken);
        if (response?.IsSuccessStatusCode != true)
        {
            return;
        }
        var status = await response.Content.ReadFromJsonAsync<OrderStatus>(Json.Options, cancellationToken);
        if (status?.Status is "Confirmed" or "Rejected" && !Order.IsFinal)
        {
            Order.Status = status.Status;
            Interlocked.Increment(ref status.Status == "Confirmed" ? ref counters.OrdersConfirmed : ref counters.OrdersRejected);
            recorder.Settled(status.Status);
        }
    }

    /// <summary>
    /// Sends one request with the shopper's cookies, and records it. Null: no answer. Over the shopper's own
    /// connections (from its address), except for a waiting shopper, whose browser would then hold an idle connection
    /// for minutes — one machine cannot hold a crowd's sockets on both sides (a CDN holds them in production): its
    /// join (which the shop counts per address) closes its connection after the answer, and its status calls (which
    /// no address limit counts) share the crowd's connections.
    /// </summary>
    private async Task<HttpResponseMessage?> SendAsync(
        RequestKind kind, HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken,
        (string Name, string Value)? header = null, bool joining = false, bool waiting = false)
    {
        using var request = new HttpRequestMessage(method, waiting || joining ? new Uri(clients.Target, path) : clients.For(number, path)) { Content = content };
        if (!waiting && !joining)
        {
            request.Headers.Host = clients.Host;
        }
        if (joining)
        {
            request.Headers.ConnectionClose = true;
            ClientAddresses.ForShopper(request, number);
        }
        if (cookies.Header is { } cookieHeader)
        {
            request.Headers.Add("Cookie", cookieHeader);
        }
        if (header is { } extra)
        {
            request.Headers.Add(extra.Name, extra.Value);
        }
        // A browser's own request needs a socket of this process; when they are all in use it waits here, counted
        // apart as the generator's queueing (Recorder.ClientQueued), never as the shop's latency.
        using var socket = waiting ? null : await clients.Sockets.TakeAsync(recorder, cancellationToken);
        var startedAt = recorder.Now;
        var watch = Stopwatch.StartNew();
        // A wait for one of the crowd's shared connections is the generator's, not the shop's: taken out of the latency.
        // (A browser's or a join's wait is for a connection of its own being opened, which the edge's accept is part of.)
        var queued = Recorder.QueuedHere.Value = waiting ? new StrongBox<double>() : null;
        try
        {
            var response = await (waiting ? clients.Crowd : joining ? clients.Joins : clients.Browsers).SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            recorder.Record(kind, startedAt, watch.Elapsed.TotalMilliseconds - (queued?.Value ?? 0), (int)response.StatusCode,
                response.Headers.TryGetValues("X-Served-By", out var servedBy) ? servedBy.FirstOrDefault() : null);
            if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
            {
                foreach (var setCookie in setCookies)
                {
                    cookies.Set(setCookie);
                }
            }
            if ((int)response.StatusCode >= 400)
            {
                Interlocked.Increment(ref counters.Errors);
            }
            return response;
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            recorder.Record(kind, startedAt, watch.Elapsed.TotalMilliseconds, 0, null);
            Interlocked.Increment(ref counters.Errors);
            return null;
        }
    }

    [GeneratedRegex("""<input[^>]*name="__RequestVerificationToken"[^>]*value="([^"]+)"[^>]*>""")]
    private static partial Regex AntiforgeryField();
}

public sealed class PlacedOrder(Guid id, IReadOnlyList<int> productIds)
{
    public Guid Id { get; } = id;
    public IReadOnlyList<int> ProductIds { get; } = productIds;
    public string Status { get; set; } = "Accepted";
    public bool IsFinal => Status is "Confirmed" or "Rejected";
}

/// <summary>Live counts for the progress line; fields so they can be incremented with <see cref="Interlocked"/>.</summary>
public sealed class LoadTestCounters
{
    public int Arrived, Waiting, WaitingPeak, Admitted, GaveUp, Done, OrdersAccepted, OrdersConfirmed, OrdersRejected, Errors;

    /// <summary>One more shopper waiting; keeps the most that ever waited at once.</summary>
    public void StartWaiting()
    {
        var now = Interlocked.Increment(ref Waiting);
        for (var peak = Volatile.Read(ref WaitingPeak); now > peak; peak = Volatile.Read(ref WaitingPeak))
        {
            if (Interlocked.CompareExchange(ref WaitingPeak, now, peak) == peak)
            {
                break;
            }
        }
    }
}

/// <summary>The waiting room's answer to a join or a status call; <c>queueUrl</c> is the sale's shared queue resource.</summary>
internal sealed record WaitingStatus(string State, long? Position, string? QueueUrl, long? ServingAtJoin);

internal sealed record Refusal(string? Title, string? Reason);

internal sealed record OrderAccepted(Guid OrderId, string Status);

internal sealed record OrderStatus(Guid OrderId, string Status, string? Reason);

internal static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
