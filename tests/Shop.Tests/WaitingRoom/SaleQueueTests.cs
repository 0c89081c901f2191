using System.Net;
using System.Net.Http.Json;
using Shop.Api.WaitingRoom;
using Shop.Data.Sales;
using Shop.Tests.Infrastructure;
using StackExchange.Redis;

namespace Shop.Tests.WaitingRoom;

public sealed record QueueStateDto(string SaleId, string State, bool Open, long Serving, long LastPosition, double AdmissionsPerMinute,
    bool Paused, bool Drawn, DateTimeOffset StartsAt, DateTimeOffset AsOf, long HeartbeatWithin, int HeartbeatSeconds);

/// <summary>The sale's queue that every waiting page polls: one answer, kept by the edge, never a service per waiter.</summary>
[Collection(ShopCollection.Name)]
public sealed class SaleQueueTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;
    private readonly SaleTraffic sales = new(fixture.Shop);

    [Fact]
    public async Task The_crowd_polls_one_answer_per_sale_that_the_edge_keeps_whatever_cookie_or_query_it_sends()
    {
        var saleId = SaleTraffic.NewSaleId();
        await using var sale = await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 6000, maxActive: 100));
        await sales.PauseAsync(saleId, true);
        using var api = sales.Instance(0);
        using var joinAnswer = await SaleTraffic.JoinAsync(api, SaleTraffic.ClientIp(95_000));
        var joined = (await joinAnswer.Content.ReadFromJsonAsync<JoinedDto>())!;
        Assert.Equal($"/api/waitingroom/sales/{saleId}/queue", joined.QueueUrl);
        Assert.Equal(0, joined.ServingAtJoin);
        for (var i = 1; i < 3; i++)
        {
            await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(95_000 + i));
        }

        using var edge = sales.Edge();
        // Each instance refreshes its view twice a second and the edge keeps a copy for one: the joins show within a few.
        await Poll.UntilAsync(async () => (await edge.GetFromJsonAsync<QueueStateDto>(joined.QueueUrl))!.LastPosition == 3,
            "the edge's copy of the queue to show the three joins");
        var answers = new List<(QueueStateDto Queue, string? Cache)>();
        for (var i = 0; i < 30; i++)
        {
            // Each poll as a different waiter would send it, with a query string of its own for good measure.
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{joined.QueueUrl}?nocache={Guid.NewGuid():N}");
            request.Headers.Add("Cookie", $"shop.wr.ticket=waiter-{i}");
            using var response = await edge.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("public, max-age=1", response.Headers.CacheControl?.ToString());
            Assert.False(response.Headers.Contains("Set-Cookie"), "The shared answer must not set a cookie.");
            answers.Add(((await response.Content.ReadFromJsonAsync<QueueStateDto>())!,
                response.Headers.TryGetValues("X-Cache-Status", out var cache) ? cache.Single() : null));
            await Task.Delay(100);
        }
        Assert.All(answers.Skip(1), a => Assert.Contains(a.Cache, new[] { "HIT", "STALE", "UPDATING" }));
        Assert.All(answers, a => Assert.Equal((saleId, "Live", 3L, 0L, true, 0.0), (a.Queue.SaleId, a.Queue.State, a.Queue.LastPosition,
            a.Queue.Serving, a.Queue.Paused, a.Queue.AdmissionsPerMinute)));
        Assert.True(answers[0].Queue.HeartbeatWithin >= 200);

        // Resumed, the crowd sees everyone admitted from the edge's copy within a few seconds, at the sale's pace.
        await sales.PauseAsync(saleId, false);
        await Poll.UntilAsync(async () => (await edge.GetFromJsonAsync<QueueStateDto>(joined.QueueUrl))! is { Serving: 3, Paused: false, AdmissionsPerMinute: > 0 },
            "the edge's copy of the queue to show all three admitted");

        using var unknown = await edge.GetAsync($"/api/waitingroom/sales/{SaleTraffic.NewSaleId()}/queue");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_sales_waiting_room_keys_expire_an_hour_after_it_ends()
    {
        var saleId = SaleTraffic.NewSaleId();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("redis"));
        var db = redis.GetDatabase();
        var prefix = $"wr:{{{saleId}}}:";
        await using (await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 6000, maxActive: 100)))
        {
            using var api = sales.Instance(0);
            var waiter = await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(96_000));
            await SaleTraffic.AdmittedAsync(api, waiter);
            // The sale ends in an hour (SaleTraffic.Sale): its keys are kept until an hour after that.
            foreach (var key in new[] { "counter", "joined", "seen", "serving", "admitted", "active", "next" })
            {
                var ttl = await db.KeyTimeToLiveAsync(prefix + key);
                Assert.True(ttl is { } left && left > TimeSpan.FromMinutes(110) && left <= TimeSpan.FromHours(2), $"{key} expires in {ttl}");
            }
        }
        // Ended by staff now: an hour from now, not from the planned end.
        foreach (var key in new[] { "counter", "joined", "seen", "serving", "admitted", "active", "next" })
        {
            var ttl = await db.KeyTimeToLiveAsync(prefix + key);
            Assert.True(ttl is { } left && left <= TimeSpan.FromHours(1), $"{key} expires in {ttl} after the sale ended");
        }
    }

    [Fact]
    public void Waiters_near_the_front_heartbeat_early_enough_that_stale_places_ahead_cannot_outrun_them()
    {
        foreach (var (rate, abandonAfter) in new[] { (1, 10), (600, 120), (1500, 120), (6000, 3), (60_000, 600) })
        {
            var sale = new Sale { Id = "s", Name = "s", QueueMode = SaleQueueModes.Fifo, WhenRedisDown = RedisDownPolicies.Closed, AdmissionsPerMinute = rate, AbandonAfterSeconds = abandonAfter };
            var within = Abandonment.HeartbeatWithin(sale);
            // The pointer passes at most this many places per second, admitting and skipping at full speed.
            var fastest = rate / 60.0 + Abandonment.SkipsPerSecond(sale);
            Assert.True(within / fastest >= Abandonment.LongestPoll.TotalSeconds, $"rate {rate}: window {within} passes in {within / fastest:0.0} s");
            Assert.True(within >= 200);
            Assert.InRange(Abandonment.HeartbeatSeconds(sale), 1, Math.Max(1, abandonAfter / 2));
            // At least two skips a second for each admission, so a crowd that mostly left does not hold up those still there.
            Assert.True(Abandonment.SkipsPerSecond(sale) >= 2 * rate / 60.0);
            Assert.True(Abandonment.SkipsPerTick(sale, TimeSpan.FromMilliseconds(100)) >= 1);
        }
    }

    private sealed record JoinedDto(string State, long? Position, string? QueueUrl, long? ServingAtJoin);
}
