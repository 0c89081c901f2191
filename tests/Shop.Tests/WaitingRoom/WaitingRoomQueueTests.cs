using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Shop.AppHost.Infrastructure;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.WaitingRoom;

/// <summary>The queue itself: positions, admission order and pace, limits, pause, reloads, the lottery, abandoned waiters.</summary>
[Collection(ShopCollection.Name)]
public sealed class WaitingRoomQueueTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;
    private readonly SaleTraffic sales = new(fixture.Shop);

    [Fact]
    public async Task Ten_thousand_concurrent_joins_over_three_instances_get_positions_1_to_10000()
    {
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 1, maxActive: 1));
        await sales.PauseAsync(saleId, true);
        var instances = Enumerable.Range(0, TestShop.ApiInstances.Count)
            .Select(i => sales.Instance(i, connections: 48))
            .ToList();
        var positions = await Task.WhenAll(Enumerable.Range(0, 10_000).Select(async i =>
            (await SaleTraffic.JoinedAsync(instances[i % instances.Count], SaleTraffic.ClientIp(i))).Position ?? 0));

        Assert.Equal(Enumerable.Range(1, 10_000).Select(p => (long)p), positions.Order());
        var stats = await sales.StatsAsync(saleId);
        Assert.Equal(10_000, stats.Joined);
        Assert.Equal(10_000, stats.Waiting);
        instances.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Admission_follows_join_order_at_the_set_rate_for_a_minute()
    {
        const int rate = 300;
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: rate, maxActive: 10_000));
        await sales.PauseAsync(saleId, true);
        using var api = sales.Instance(0);
        for (var i = 0; i < 400; i++)
        {
            await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(20_000 + i));
        }
        // Earlier tests may have left checkout behind (health-driven slow-down); measure at full speed only.
        await Poll.UntilAsync(async () => (await sales.StatsAsync(saleId)).EffectiveAdmissionsPerMinute == 0
            && await FactorAsync() >= 1.0, "the admission rate factor to be back at 1");
        await sales.PauseAsync(saleId, false);
        await Poll.UntilAsync(async () => (await sales.StatsAsync(saleId)).Admitted > 0, "the first admission");

        var first = await sales.StatsAsync(saleId);
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(60));
        var last = await sales.StatsAsync(saleId);
        var elapsed = clock.Elapsed;

        var admittedPerMinute = (last.Admitted - first.Admitted) / elapsed.TotalMinutes;
        Assert.InRange(admittedPerMinute, rate * 0.9, rate * 1.1);

        // Strict first-come order: the admitted positions are exactly 1..n, admitted in that order.
        var admittedAt = await sales.AdmittedAtAsync(saleId);
        Assert.Equal(Enumerable.Range(1, admittedAt.Count).Select(p => (long)p), admittedAt.Keys);
        // Evenly spread: no whole second admits much more than its share (5 per second at 300/min). Judged by the
        // admission times the shop recorded, not by when this test looked: a late poll would lump seconds together.
        var perSecond = admittedAt.Values.GroupBy(ms => ms / 1000).OrderBy(g => g.Key).Select(g => g.Count()).ToList();
        var wholeSeconds = perSecond.Skip(1).SkipLast(1).ToList();
        Assert.True(wholeSeconds.Count >= 55, $"Only {wholeSeconds.Count} whole seconds of admissions were recorded.");
        Assert.True(wholeSeconds.Max() <= 10, $"Admissions came in bursts: {string.Join(",", wholeSeconds)} per second.");
        Assert.True(admittedAt.Values.Zip(admittedAt.Values.Skip(1)).All(pair => pair.First <= pair.Second), "A later position was admitted before an earlier one.");
        Assert.Equal(0, last.Abandoned);

        async Task<double> FactorAsync()
        {
            await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("redis"));
            return (double?)await redis.GetDatabase().HashGetAsync("wr:health", "factor") ?? 1.0;
        }
    }

    [Fact]
    public async Task Active_shoppers_never_exceed_the_maximum_and_a_shopper_who_leaves_frees_a_slot()
    {
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 6000, maxActive: 20));
        using var api = sales.Instance(1);
        var waiters = new List<Waiter>();
        for (var i = 0; i < 60; i++)
        {
            waiters.Add(await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(30_000 + i)));
        }
        var samples = new List<SaleStatsDto>();
        await Poll.UntilAsync(async () =>
        {
            var stats = await sales.StatsAsync(saleId);
            samples.Add(stats);
            return stats.Admitted >= 20;
        }, "20 admissions");
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(200);
            samples.Add(await sales.StatsAsync(saleId));
        }
        Assert.All(samples, s => Assert.InRange(s.Active, 0, 20));
        Assert.Equal(20, samples[^1].Admitted);
        Assert.Equal(20, samples[^1].Active);

        // Five admitted shoppers leave: five more are let in, and never more than the maximum at once.
        foreach (var waiter in waiters.Take(5))
        {
            using var leave = new HttpRequestMessage(HttpMethod.Post, "/api/waitingroom/leave");
            leave.Headers.Add("X-Waiting-Ticket", waiter.Ticket);
            using var left = await api.SendAsync(leave);
            Assert.Equal(HttpStatusCode.NoContent, left.StatusCode);
        }
        await Poll.UntilAsync(async () => (await sales.StatsAsync(saleId)).Admitted == 25, "five more admissions after five left");
        var after = await sales.StatsAsync(saleId);
        Assert.Equal(20, after.Active);
        // Status answers come from each instance's copy of the serving pointer, at most half a second behind.
        await SaleTraffic.AdmittedAsync(api, waiters[24]);
        Assert.Equal("Waiting", (await SaleTraffic.StatusAsync(api, waiters[25].Ticket)).State);
    }

    [Fact]
    public async Task Pause_stops_admission_and_resume_restarts_it()
    {
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 600, startsAt: DateTimeOffset.UtcNow.AddMinutes(30)));
        using var api = sales.Instance(2);
        var waiters = new List<Waiter>();
        for (var i = 0; i < 30; i++)
        {
            waiters.Add(await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(40_000 + i)));
        }
        Assert.Equal(Enumerable.Range(1, 30).Select(p => (long?)p), waiters.Select(w => w.Position));

        // Start the sale paused: no one may be let in while it stays paused.
        await sales.PauseAsync(saleId, true);
        await sales.PutSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 600));
        await sales.EveryInstanceAsync(s => s.State == "Live" && s.Paused, "the sale to be live and paused everywhere");
        await Task.Delay(3000);
        var paused = await sales.StatsAsync(saleId);
        Assert.True(paused.Paused);
        Assert.Equal(0, paused.Admitted);
        Assert.Equal(0, paused.EffectiveAdmissionsPerMinute);
        Assert.Equal("Waiting", (await SaleTraffic.StatusAsync(api, waiters[0].Ticket)).State);

        await sales.PauseAsync(saleId, false);
        await SaleTraffic.AdmittedAsync(api, waiters[0]);
        Assert.True((await sales.StatsAsync(saleId)).Admitted >= 1);
    }

    [Fact]
    public async Task A_reload_keeps_the_place_with_the_cookie_or_the_header()
    {
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 1));
        await sales.PauseAsync(saleId, true);
        using var other = sales.Instance(0);
        await SaleTraffic.JoinedAsync(other, SaleTraffic.ClientIp(50_000));

        // A browser through the edge: the ticket comes back as an HttpOnly cookie.
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = new Uri($"http://localhost:{shop.Ports.EdgeHttp}") };
        using var first = await browser.PostAsync("/api/waitingroom/join", null);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var joined = (await first.Content.ReadFromJsonAsync<WaitingStatusDto>())!;
        Assert.Contains(first.Headers.GetValues("Set-Cookie"), c => c.StartsWith("shop.wr.ticket=") && c.Contains("httponly", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("Waiting", joined.State);

        for (var reload = 0; reload < 3; reload++)
        {
            using var again = await browser.PostAsync("/api/waitingroom/join", null);
            Assert.Equal(joined.Position, (await again.Content.ReadFromJsonAsync<WaitingStatusDto>())!.Position);
            Assert.Equal(joined.Position, (await browser.GetFromJsonAsync<WaitingStatusDto>("/api/waitingroom/status"))!.Position);
        }
        // A client without cookies sends the ticket in the header and keeps the same place on any instance.
        for (var i = 0; i < TestShop.ApiInstances.Count; i++)
        {
            using var api = sales.Instance(i);
            using var rejoin = await SaleTraffic.JoinAsync(api, SaleTraffic.ClientIp(50_001), joined.Ticket);
            Assert.Equal(joined.Position, (await rejoin.Content.ReadFromJsonAsync<WaitingStatusDto>())!.Position);
        }
        Assert.Equal(2, (await sales.StatsAsync(saleId)).Joined);

        // Without a ticket, status is a 404 problem that says to join first.
        using var stranger = shop.EdgeClient();
        using var none = await stranger.GetAsync("/api/waitingroom/status");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Lottery_gives_everyone_who_joined_before_the_start_a_random_place_and_later_joiners_queue_behind()
    {
        var saleId = SaleTraffic.NewSaleId();
        var startsAt = DateTimeOffset.UtcNow.AddSeconds(6);
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 1, maxActive: 1, queueMode: "PreQueueLottery", startsAt: startsAt));
        using var api = sales.Instance(0);
        var early = new List<Waiter>();
        for (var i = 0; i < 40; i++)
        {
            early.Add(await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(60_000 + i)));
        }
        Assert.All(early, w => Assert.Null(w.Position));
        Assert.True(DateTimeOffset.UtcNow < startsAt, "The early joins took too long to stay before the start.");
        Assert.Equal(40, (await sales.StatsAsync(saleId)).Joined);

        await Poll.UntilAsync(async () => (await SaleTraffic.StatusAsync(api, early[0].Ticket)).Position is not null, "the draw");
        var drawn = new List<long>();
        foreach (var waiter in early)
        {
            drawn.Add((await SaleTraffic.StatusAsync(api, waiter.Ticket)).Position!.Value);
        }
        Assert.Equal(Enumerable.Range(1, 40).Select(p => (long)p), drawn.Order());
        Assert.NotEqual(Enumerable.Range(1, 40).Select(p => (long)p), drawn);

        var late = await SaleTraffic.JoinedAsync(sales.Instance(1), SaleTraffic.ClientIp(60_100));
        Assert.Equal(41, late.Position);
        // The winner of the draw is the first one let in.
        await SaleTraffic.AdmittedAsync(api, early[drawn.IndexOf(1)]);
    }

    [Fact]
    public async Task A_waiter_who_stops_asking_is_skipped_and_takes_no_slot()
    {
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 6000, maxActive: 2, abandonAfterSeconds: 3));
        await sales.PauseAsync(saleId, true);
        using var api = sales.Instance(1);
        var present = await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(70_000));
        var gone = await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(70_001));
        var alsoPresent = await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(70_002));
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(5))
        {
            await SaleTraffic.StatusAsync(api, present.Ticket);
            await SaleTraffic.StatusAsync(api, alsoPresent.Ticket);
            await Task.Delay(500);
        }
        await sales.PauseAsync(saleId, false);

        await SaleTraffic.AdmittedAsync(api, present);
        await SaleTraffic.AdmittedAsync(api, alsoPresent);
        Assert.Equal("Expired", (await SaleTraffic.StatusAsync(api, gone.Ticket)).State);
        var stats = await sales.StatsAsync(saleId);
        Assert.Equal(1, stats.Abandoned);
        Assert.Equal(2, stats.Admitted);
        Assert.Equal(2, stats.Active);
    }

    [Fact]
    public async Task Joins_are_limited_per_client_address_at_the_edge_whatever_X_Forwarded_For_says()
    {
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 1));
        await sales.PauseAsync(saleId, true);
        // The test shop keeps the AppHost's limit of new joins per address per 10-second window: start at the top of a window.
        var limit = new WaitingRoomSettings().JoinLimit;
        await Poll.UntilAsync(() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() % 10_000 < 500, "the start of a rate-limit window");
        using var edge = sales.Edge();
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < limit + 10; i++)
        {
            answers.Add(await SaleTraffic.JoinAsync(edge, clientIp: SaleTraffic.ClientIp(80_000 + i)));
        }
        Assert.Equal(limit, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        var limited = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(10, limited.Count);
        Assert.All(limited, a =>
        {
            Assert.Equal("application/problem+json", a.Content.Headers.ContentType?.MediaType);
            Assert.InRange(a.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, 10);
        });
        answers.ForEach(a => a.Dispose());
        // Let the window pass so later tests that join through the edge start with a clean count.
        await Task.Delay(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_change_to_rate_and_limits_reaches_every_instance_within_two_seconds()
    {
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 100, maxActive: 50));
        using var admin = await sales.AdminAsync();
        var changed = Stopwatch.StartNew();
        using var put = await admin.PutAsJsonAsync($"/api/admin/sales/{saleId}", SaleTraffic.Sale(admissionsPerMinute: 777, maxActive: 77));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        await sales.EveryInstanceAsync(s => s is { AdmissionsPerMinute: 777, MaxActiveShoppers: 77 }, "the new rate and limit");
        Assert.True(changed.Elapsed < TimeSpan.FromSeconds(2), $"The change took {changed.Elapsed} to reach every instance.");
    }
}
