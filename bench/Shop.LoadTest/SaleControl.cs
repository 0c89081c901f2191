using System.Net.Http.Json;

namespace Shop.LoadTest;

/// <summary>
/// The staff side of the run, through the admin API at <see cref="LoadTestOptions.AdminTarget"/>: stock the products,
/// open the sale, read its stats, end it. What shoppers would see it reads through the edge (<paramref name="shop"/>).
/// </summary>
public sealed class SaleControl(HttpClient admin, HttpClient shop, LoadTestOptions options) : IDisposable
{
    public static SaleControl Create(LoadTestOptions options)
    {
        var admin = new HttpClient { BaseAddress = options.AdminTarget, Timeout = TimeSpan.FromSeconds(30) };
        admin.DefaultRequestHeaders.Add("X-Admin-Key", options.AdminKey);
        return new SaleControl(admin, new HttpClient { BaseAddress = options.Target, Timeout = TimeSpan.FromSeconds(30) }, options);
    }

    /// <summary>Units per product: the stock split evenly, the remainder to the first products.</summary>
    public IReadOnlyDictionary<int, int> StockPlan { get; } = Plan(options);

    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        foreach (var (productId, units) in StockPlan)
        {
            await EnsureAsync(await admin.PutAsJsonAsync($"api/admin/catalog/items/{productId}", new { stock = units }, cancellationToken),
                $"set the stock of product {productId}");
        }
        var startsAt = DateTimeOffset.UtcNow.AddSeconds(2);
        var sale = new
        {
            name = $"Load test {options.SaleId}",
            startsAt,
            endsAt = startsAt.AddSeconds(options.DurationSeconds + 60),
            admissionsPerMinute = options.AdmissionsPerMinute,
            maxActiveShoppers = options.MaxActiveShoppers,
            sessionMinutes = 10,
            queueMode = "Fifo",
            whenRedisDown = "Closed",
        };
        await EnsureAsync(await admin.PutAsJsonAsync($"api/admin/sales/{options.SaleId}", sale, cancellationToken), "create the sale");
        if (options.WaitingOnly)
        {
            // Staff paused admissions before the first shopper came: everyone joins, no one is let in.
            await EnsureAsync(await admin.PostAsync($"api/admin/sales/{options.SaleId}/pause", null, cancellationToken), "pause the sale");
        }
        await WaitUntilEveryInstanceKnowsTheSaleAsync(cancellationToken);
    }

    /// <summary>
    /// Each API instance reloads its sales once a second. One that has not yet seen a brand-new sale answers "Open" and
    /// lets a shopper in without an admission, whose order another instance then refuses (403 "missing"); the first
    /// runs had a few dozen. A real sale is created hours ahead; here the shoppers wait until twelve answers in a row,
    /// spread over the instances by the edge, know it (a status request without a ticket is then a 404, not "Open").
    /// </summary>
    private async Task WaitUntilEveryInstanceKnowsTheSaleAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        for (var inARow = 0; inARow < 12 && DateTime.UtcNow < deadline;)
        {
            using var response = await shop.GetAsync("api/waitingroom/status", cancellationToken);
            inARow = response.StatusCode == System.Net.HttpStatusCode.NotFound ? inARow + 1 : 0;
            if (inARow == 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }
    }

    public async Task<QueueReading?> ReadQueueAsync(double at, CancellationToken cancellationToken)
    {
        // A reading older than a second is no reading: the next one is due.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            var stats = await admin.GetFromJsonAsync<SaleStats>($"api/admin/sales/{options.SaleId}/stats", Json.Options, timeout.Token);
            return stats is null ? null : new QueueReading(at, stats.Waiting, stats.Active, stats.Admitted, stats.Abandoned, stats.EffectiveAdmissionsPerMinute);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null; // a missed reading is a gap in the chart, not a failed run
        }
    }

    public async Task EndSaleAsync(CancellationToken cancellationToken) =>
        await admin.DeleteAsync($"api/admin/sales/{options.SaleId}", cancellationToken);

    /// <summary>What the catalog says is left of each product now.</summary>
    public async Task<IReadOnlyDictionary<int, int?>> StockLeftAsync(CancellationToken cancellationToken)
    {
        var left = new Dictionary<int, int?>();
        foreach (var productId in StockPlan.Keys)
        {
            var item = await shop.GetFromJsonAsync<CatalogItem>($"api/catalog/items/{productId}", Json.Options, cancellationToken);
            left[productId] = item?.Stock;
        }
        return left;
    }

    public void Dispose()
    {
        admin.Dispose();
        shop.Dispose();
    }

    private static Dictionary<int, int> Plan(LoadTestOptions options)
    {
        var products = options.ProductIds;
        return products.Select((id, i) => (id, units: options.Stock / products.Count + (i < options.Stock % products.Count ? 1 : 0)))
            .ToDictionary(p => p.id, p => p.units);
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what)
    {
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new LoadTestSetupException(
                    $"Could not {what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }
    }

    private sealed record SaleStats(long Joined, long Waiting, long Admitted, long Active, long Abandoned, double EffectiveAdmissionsPerMinute);

    private sealed record CatalogItem(int Id, int Stock);
}

public sealed class LoadTestSetupException(string message) : Exception(message);
