using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Shop.LoadTest;

/// <summary>
/// One shopper on sale day: joins the waiting room, polls until admitted, browses the catalog, puts 1–3 sale products
/// in the storefront's cart, orders them with an idempotency key and polls the order until it is final.
/// Carries its own cookie jar, as a browser would (ticket, admission, cart and antiforgery cookies).
/// </summary>
public sealed partial class Shopper(int number, HttpClient http, LoadTestOptions options, Recorder recorder, LoadTestCounters counters, Random random)
{
    private static readonly TimeSpan OrderPollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxOrderPollInterval = TimeSpan.FromSeconds(5);

    private readonly CookieContainer cookies = new();

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

            for (var page = random.Next(3, 6); page > 0; page--)
            {
                await SendAsync(RequestKind.Catalog, HttpMethod.Get, $"api/catalog/items?page={random.Next(1, 11)}&pageSize=20", null, saleOver);
            }

            var cart = options.ProductIds.OrderBy(_ => random.Next()).Take(random.Next(1, 4)).ToList();
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
        Interlocked.Increment(ref counters.Waiting);
        try
        {
            var status = await JoinAsync(saleOver);
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
                using var response = await SendAsync(RequestKind.Status, HttpMethod.Get, "api/waitingroom/status", null, saleOver);
                status = response?.IsSuccessStatusCode == true ? await ReadStatusAsync(response, saleOver) : status;
            }
        }
        finally
        {
            Interlocked.Decrement(ref counters.Waiting);
        }
    }

    private async Task<WaitingStatus?> JoinAsync(CancellationToken saleOver)
    {
        while (true)
        {
            using var response = await SendAsync(RequestKind.Join, HttpMethod.Post, "api/waitingroom/join", null, saleOver);
            if (response?.IsSuccessStatusCode == true)
            {
                return await ReadStatusAsync(response, saleOver);
            }
            // 429 (this address joined too often) and 503 (the queue is down) say when to come back.
            var retryAfter = response?.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(2);
            await Task.Delay(retryAfter + TimeSpan.FromMilliseconds(random.Next(0, 500)), saleOver);
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

    /// <summary>Sends one request with the shopper's cookies and waiting-room headers, and records it. Null: no answer.</summary>
    private async Task<HttpResponseMessage?> SendAsync(
        RequestKind kind, HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken,
        (string Name, string Value)? header = null)
    {
        var uri = new Uri(http.BaseAddress!, path);
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        if (cookies.GetCookieHeader(uri) is { Length: > 0 } cookieHeader)
        {
            request.Headers.Add("Cookie", cookieHeader);
        }
        if (header is { } extra)
        {
            request.Headers.Add(extra.Name, extra.Value);
        }
        var startedAt = recorder.Now;
        var watch = Stopwatch.StartNew();
        try
        {
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            recorder.Record(kind, startedAt, watch.Elapsed.TotalMilliseconds, (int)response.StatusCode,
                response.Headers.TryGetValues("X-Served-By", out var servedBy) ? servedBy.FirstOrDefault() : null);
            if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
            {
                foreach (var setCookie in setCookies)
                {
                    cookies.SetCookies(uri, setCookie);
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
    public int Arrived, Waiting, Admitted, GaveUp, Done, OrdersAccepted, OrdersConfirmed, OrdersRejected, Errors;
}

internal sealed record WaitingStatus(string State, long? Position);

internal sealed record Refusal(string? Title, string? Reason);

internal sealed record OrderAccepted(Guid OrderId, string Status);

internal sealed record OrderStatus(Guid OrderId, string Status, string? Reason);

internal static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
