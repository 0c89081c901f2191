using System.Net;
using System.Net.Http.Json;
using Npgsql;
using StackExchange.Redis;
using Shop.Api.WaitingRoom;
using Shop.ServiceDefaults.Experience;
using Shop.Tests.Infrastructure;
using Shop.Tests.Orders;

namespace Shop.Tests.WaitingRoom;

/// <summary>Admission paced by how the admitted shoppers are served, as the services measure it themselves.</summary>
[Collection(ShopCollection.Name)]
public sealed class ExperiencePacingTests(ShopFixture fixture)
{
    private const int Rate = 1000;
    private readonly TestShop shop = fixture.Shop;
    private readonly SaleTraffic sales = new(fixture.Shop);
    private readonly OrderTraffic orders = new(fixture.Shop);

    private async Task<SaleStats> StatsAsync(string saleId)
    {
        using var admin = await sales.AdminAsync();
        return (await admin.GetFromJsonAsync<SaleStats>($"/api/admin/sales/{saleId}/stats"))!;
    }

    [Fact]
    public async Task Admission_slows_down_while_admitted_shoppers_wait_on_a_slow_database_and_recovers_step_by_step()
    {
        var products = Enumerable.Range(4741, 3).ToArray();
        await orders.SetStockAsync(products, 10_000);
        var saleId = SaleTraffic.NewSaleId();
        // Announced, not live: the store stays open to everyone, so every shopper is an admitted one and orders need no
        // admission; the sale's stats still show the pace it would be admitted at.
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: Rate, startsAt: DateTimeOffset.UtcNow.AddMinutes(30)));
        // Earlier tests may have left the shop slowed down; start from full speed.
        await Poll.UntilAsync(async () => await StatsAsync(saleId) is { EffectiveAdmissionsPerMinute: (double)Rate, Pacing.Reason: PacingReasons.None },
            "admission to run at full speed", TimeSpan.FromMinutes(2));
        var before = (await StatsAsync(saleId)).Pacing!;
        Assert.Contains(before.Signals.Services, s => s.Service == "api");
        Assert.Contains(before.Signals.Services, s => s.Service == "web");

        // A slow dependency for real: a transaction holds the orders table against writes, so every order waits in
        // Postgres until it lets go. Reads (the worker's lag, order pages) go on.
        await using var db = await orders.DatabaseAsync();
        await using var connection = await db.OpenConnectionAsync();
        var held = await connection.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("LOCK TABLE orders IN EXCLUSIVE MODE", connection, held))
        {
            await hold.ExecuteNonQueryAsync();
        }
        var instances = Enumerable.Range(0, TestShop.ApiInstances.Count).Select(i => sales.Instance(i)).ToList();
        IReadOnlyList<OrderResponse> answered;
        try
        {
            var burst = Task.WhenAll(OrderTraffic.RandomOrders(30, products[0], products.Length, 1, 1, seed: 16)
                .Select((order, i) => OrderTraffic.SendAsync(instances[i % instances.Count], order)));
            await Poll.UntilAsync(async () =>
            {
                await using var waiting = db.CreateCommand(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
                return (long)(await waiting.ExecuteScalarAsync())! >= 10;
            }, "orders to wait behind the held table");
            // Not a wait for something to happen: the time every one of those orders then spends waiting, longer than
            // the 1-s p95 threshold.
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            await held.RollbackAsync();
            answered = await burst;
        }
        finally
        {
            await held.DisposeAsync();
            instances.ForEach(i => i.Dispose());
        }
        Assert.All(answered, r => Assert.Equal(HttpStatusCode.Accepted, r.Status));

        SaleStats slowed = null!;
        await Poll.UntilAsync(async () => (slowed = await StatsAsync(saleId)) is { Pacing.Reason: PacingReasons.Latency }
            && slowed.EffectiveAdmissionsPerMinute < Rate, "admission to slow down for latency");
        Assert.Contains(slowed.Pacing!.Signals.Services, s => s.Service == "api" && s.P95Ms > 1000 && s.Requests >= 20);
        // The dashboard sees it too: the leader's gauges carry the reason.
        await Poll.UntilAsync(() => shop.Telemetry.Points.Any(p => p.Metric == "shop.waitingroom.rate_factor"
            && p.Attributes.GetValueOrDefault("reason") == PacingReasons.Latency && p.Value < 1), "the rate factor gauge to say latency");

        var seen = new SortedSet<double>();
        await Poll.UntilAsync(async () =>
        {
            var stats = await StatsAsync(saleId);
            seen.Add(stats.EffectiveAdmissionsPerMinute);
            return stats is { EffectiveAdmissionsPerMinute: (double)Rate, Pacing.Reason: PacingReasons.None };
        }, "admission to recover to the full rate", TimeSpan.FromMinutes(2));
        Assert.True(seen.Count(r => r is > 0 and < Rate) >= 3, $"Recovery was not step by step: {string.Join(", ", seen)}");
    }

    [Fact]
    public async Task A_sale_opens_with_a_slow_start_that_doubles_to_its_rate_and_a_resume_starts_slowly_again()
    {
        const int fast = 30_000; // far above the shop's slow start (600/min): 600, 1,200, 2,400 … 30,000 at 2-s checks
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: fast));
        // Asked at once, whether or not the admission leader has seen the sale yet: it opens at its slow start, never at its rate.
        Assert.True((await StatsAsync(saleId)).SlowStartAdmissionsPerMinute is < fast / 4, "The sale's stats showed no slow start as it opened");
        var ramps = new SortedSet<double>();
        await Poll.UntilAsync(async () =>
        {
            var stats = await StatsAsync(saleId);
            if (stats.SlowStartAdmissionsPerMinute is { } ramp)
            {
                ramps.Add(ramp);
                Assert.True(stats.EffectiveAdmissionsPerMinute <= ramp, $"admitted at {stats.EffectiveAdmissionsPerMinute}/min above its slow start {ramp}/min");
            }
            return stats is { SlowStartAdmissionsPerMinute: null, EffectiveAdmissionsPerMinute: fast };
        }, "the sale to ramp up to its rate", TimeSpan.FromMinutes(2));
        Assert.True(ramps.Count >= 3 && ramps.Min < fast / 4, $"No slow start to see: {string.Join(", ", ramps)}");

        await sales.PauseAsync(saleId, true);
        await Task.Delay(TimeSpan.FromSeconds(1)); // at least one admission tick sees the pause
        await sales.PauseAsync(saleId, false);
        await Poll.UntilAsync(async () => (await StatsAsync(saleId)).SlowStartAdmissionsPerMinute is < fast / 4,
            "a resumed sale to start slowly again");
    }

    [Fact]
    public async Task Catalog_reads_count_as_the_admitted_shoppers_experience_probes_and_waiting_room_calls_do_not()
    {
        using var api = sales.Instance(0);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("redis"));
        async Task<long> PostedAsync()
        {
            // The latest poster of that name: a process of an earlier run of api-1 (restarted by another test) stops posting.
            var instance = (await redis.GetDatabase().SortedSetRangeByRankAsync("shop:experience:instances", order: Order.Descending))
                .Select(i => (string)i!).FirstOrDefault(i => i.StartsWith($"{TestShop.ApiInstances[0]}:", StringComparison.Ordinal));
            var fields = await redis.GetDatabase().HashGetAsync($"shop:experience:{instance}", ["buckets", "errors"]);
            return instance is null || ExperienceReport.Parse(fields[0], (long?)fields[1] ?? 0) is not { } report ? 0 : report.Requests;
        }
        // Start from a quiet window: nothing else asks this instance for the catalog or orders.
        await Poll.UntilAsync(async () => await PostedAsync() < 20, "api-1's window to be quiet");

        for (var i = 0; i < 150; i++)
        {
            (await api.GetAsync("/health")).Dispose();
            (await api.GetAsync("/alive")).Dispose();
            (await api.GetAsync("/api/waitingroom/sale")).Dispose();
        }
        for (var i = 0; i < 60; i++)
        {
            (await api.GetAsync($"/api/catalog/items/{4741 + i % 3}")).Dispose();
        }

        long posted = 0;
        await Poll.UntilAsync(async () => (posted = await PostedAsync()) >= 60, "api-1 to post its catalog reads");
        Assert.True(posted < 150, $"api-1 counted {posted} requests: probes or waiting-room calls were counted as shoppers'");
    }
}
