using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using RabbitMQ.Client;
using Shop.Messaging;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Orders;

/// <summary>
/// Processes really die here: a worker is killed with SIGKILL, the broker and the primary database are stopped in the
/// middle of a stream of orders. Afterwards every order that got a 202 is settled exactly once and the stock ledger balances.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class OrderFaultTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;
    private readonly OrderTraffic traffic = new(fixture.Shop);

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Worker_killed_three_times_during_a_2000_order_burst_loses_and_duplicates_nothing()
    {
        var products = Enumerable.Range(4101, 20).ToList();
        var ledger = await traffic.OpenLedgerAsync(products, 150);
        var orders = OrderTraffic.RandomOrders(count: 2000, firstProduct: 4101, products: 20, maxLines: 2, maxQuantity: 3, seed: 7);

        var answered = 0;
        var burst = traffic.BurstAsync(orders, concurrency: 32, answered: () => Interlocked.Increment(ref answered));
        var kills = new List<string>();
        var restarts = new Dictionary<string, Task>();
        foreach (var (mark, worker) in new[] { (400, "orderworker-1"), (900, "orderworker-2"), (1400, "orderworker-1") })
        {
            await Poll.UntilAsync(() => Volatile.Read(ref answered) >= mark, $"{mark} orders to be answered");
            if (restarts.TryGetValue(worker, out var restarting))
            {
                await restarting;
            }
            var tree = TestShop.ProcessTree(shop.ProcessId(worker));
            var service = shop.ServiceProcessId(worker);
            Process.GetProcessById(service).Kill(); // SIGKILL: no goodbye, no graceful stop
            kills.Add($"{worker} (pid {service}) with {Volatile.Read(ref answered)} orders answered and {await AppliedCountAsync()} applied");
            await TestShop.WaitForExitAsync(tree, worker);
            restarts[worker] = shop.StartAgainAsync(worker);
        }
        await Task.WhenAll(restarts.Values);
        var responses = await burst;

        Assert.All(responses, r => Assert.True(r.Status == HttpStatusCode.Accepted, r.ToString()));
        var accepted = responses.Select(r => r.OrderId!.Value).ToList();
        var settled = await traffic.SettledAsync(accepted, DrainTimeout);
        Assert.Equal(accepted.Count, await traffic.CountAsync("SELECT count(*) FROM applied_orders WHERE order_id = ANY($1)", accepted.ToArray()));
        await traffic.AssertStockBalancesAsync(ledger);
        Assert.Equal(3, kills.Count);
    }

    [Fact]
    public async Task Worker_stopped_gracefully_during_a_burst_hands_back_what_it_did_not_commit()
    {
        var products = Enumerable.Range(4151, 20).ToList();
        var ledger = await traffic.OpenLedgerAsync(products, 100);
        var orders = OrderTraffic.RandomOrders(count: 1000, firstProduct: 4151, products: 20, maxLines: 2, maxQuantity: 3, seed: 8);

        var burst = traffic.BurstAsync(orders, concurrency: 32);
        var appliedBefore = await AppliedCountAsync();
        await Poll.UntilAsync(async () => await AppliedCountAsync() > appliedBefore + 50, "the workers to apply orders");
        await shop.StopAsync("orderworker-1"); // SIGTERM: the host's graceful stop
        await shop.StartAgainAsync("orderworker-1");
        var responses = await burst;

        Assert.All(responses, r => Assert.True(r.Status == HttpStatusCode.Accepted, r.ToString()));
        var accepted = responses.Select(r => r.OrderId!.Value).ToList();
        await traffic.SettledAsync(accepted, DrainTimeout);
        await traffic.AssertStockBalancesAsync(ledger);
    }

    [Fact]
    public async Task Broker_stopped_mid_stream_gives_503s_never_a_202_it_does_not_hold_and_every_accepted_order_is_applied()
    {
        var products = Enumerable.Range(4201, 20).ToList();
        var ledger = await traffic.OpenLedgerAsync(products, 1000);
        var commands = shop.App.Services.GetRequiredService<ResourceCommandService>();

        await using var stream = new OrderStream(shop, firstProduct: 4201);
        await stream.WaitForAcceptedAsync(100);
        await commands.ExecuteCommandAsync("rabbitmq", KnownResourceCommands.StopCommand);
        await Poll.UntilAsync(() => !TestShop.IsListening(shop.Ports.RabbitMQ), "rabbitmq to stop");
        var down = stream.Mark();
        await Task.Delay(TimeSpan.FromSeconds(8));
        var up = stream.Mark();
        await shop.StartAgainAsync("rabbitmq");
        await stream.WaitForAcceptedAsync(stream.AcceptedCount + 100);
        var responses = await stream.StopAsync();

        Assert.All(responses, r => Assert.True(r.Response.Status is HttpStatusCode.Accepted or HttpStatusCode.ServiceUnavailable, r.Response.ToString()));
        var whileDown = responses.Where(r => r.Sent >= down && r.Answered <= up).ToList();
        Assert.NotEmpty(whileDown);
        Assert.All(whileDown, r => Assert.Equal(HttpStatusCode.ServiceUnavailable, r.Response.Status));
        Assert.All(responses.Where(r => r.Response.Status == HttpStatusCode.ServiceUnavailable), r => Assert.NotNull(r.Response.RetryAfter));

        var accepted = responses.Where(r => r.Response.Status == HttpStatusCode.Accepted).Select(r => r.Response.OrderId!.Value).ToList();
        var settled = await traffic.SettledAsync(accepted, DrainTimeout);
        await traffic.AssertStockBalancesAsync(ledger);
    }

    [Fact]
    public async Task Primary_database_stopped_for_20_seconds_mid_stream_dead_letters_nothing_and_applies_everything_after()
    {
        var products = Enumerable.Range(4301, 20).ToList();
        var ledger = await traffic.OpenLedgerAsync(products, 1000);
        var deadLettersBefore = await traffic.MessageCountAsync(OrderQueue.DeadLetterName);

        await using var stream = new OrderStream(shop, firstProduct: 4301);
        await stream.WaitForAcceptedAsync(100);
        // A fast shutdown (SIGINT), as an operator or a failover would do it: sessions are cut, the server goes away.
        var postgres = TestShop.ProcessTree(shop.ProcessId("postgres"));
        Process.Start("kill", ["-INT", postgres[0].ToString()]).WaitForExit();
        await TestShop.WaitForExitAsync(postgres, "postgres");
        await Task.Delay(TimeSpan.FromSeconds(20));
        await shop.StartAgainAsync("postgres");
        await stream.WaitForAcceptedAsync(stream.AcceptedCount + 100);
        var responses = await stream.StopAsync();

        Assert.All(responses, r => Assert.True(r.Response.Status is HttpStatusCode.Accepted or HttpStatusCode.ServiceUnavailable, r.Response.ToString()));
        var accepted = responses.Where(r => r.Response.Status == HttpStatusCode.Accepted).Select(r => r.Response.OrderId!.Value).ToList();
        var settled = await traffic.SettledAsync(accepted, DrainTimeout);
        await traffic.AssertStockBalancesAsync(ledger);
        Assert.Equal(deadLettersBefore, await traffic.MessageCountAsync(OrderQueue.DeadLetterName));
    }

    [Fact]
    public async Task Fifty_poison_messages_among_2000_good_ones_go_to_the_dead_letter_queue_and_the_rest_is_applied()
    {
        var products = Enumerable.Range(4401, 20).ToList();
        await traffic.SetStockAsync(products, 100_000);
        await traffic.PurgeAsync(OrderQueue.DeadLetterName);
        var random = new Random(11);
        var good = Enumerable.Range(0, 2000).Select(_ => new OrderMessage(Guid.CreateVersion7(), null, "direct", new OrderCustomer("direct@example.com", "Direct"),
            [new OrderMessageLine(products[random.Next(products.Count)], random.Next(1, 4), 9.99m)], 0, "EUR", DateTimeOffset.UtcNow)).ToList();
        byte[][] unreadable =
        [
            "not json"u8.ToArray(), "{}"u8.ToArray(), "[1,2,3]"u8.ToArray(), """{"orderId":"""u8.ToArray(),
            .. Enumerable.Range(0, 21).Select(i => new OrderMessage(Guid.NewGuid(), null, "bad", new OrderCustomer("bad@example.com", "Bad"),
                [new OrderMessageLine(products[0], 0, 1m)], 0, "EUR", DateTimeOffset.UtcNow).ToBytes()),
        ];
        // Readable but impossible to apply (the product does not exist): fails every attempt while the database is fine.
        var failing = Enumerable.Range(0, 25).Select(_ => new OrderMessage(Guid.CreateVersion7(), null, "ghost", new OrderCustomer("ghost@example.com", "Ghost"),
            [new OrderMessageLine(9_999_999, 1, 1m)], 1m, "EUR", DateTimeOffset.UtcNow).ToBytes()).ToList();
        var poison = unreadable.Concat(failing).ToList();
        Assert.Equal(50, poison.Count);

        var messages = good.Select(m => (m.OrderId, Body: m.ToBytes())).ToList();
        foreach (var (body, index) in poison.Select((b, i) => (b, i)))
        {
            messages.Insert(40 * index + 20, (Guid.Empty, body));
        }
        await using (var connection = await traffic.BrokerAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            await OrderQueue.DeclareAsync(connection);
            await Task.WhenAll(messages.Select(m => channel.BasicPublishAsync("", OrderQueue.Name, true, OrderQueue.Properties(m.OrderId), m.Body).AsTask()));
        }

        var goodIds = good.Select(m => m.OrderId).ToArray();
        await traffic.SettledAsync(goodIds, DrainTimeout);
        await Poll.UntilAsync(async () => await traffic.MessageCountAsync(OrderQueue.DeadLetterName) >= 50, "the poison to reach the dead-letter queue");
        Assert.Equal(2000, await traffic.CountAsync("SELECT count(*) FROM applied_orders WHERE order_id = ANY($1)", goodIds));
        Assert.Equal(50u, await traffic.MessageCountAsync(OrderQueue.DeadLetterName));
    }

    private Task<long> AppliedCountAsync() => traffic.CountAsync("SELECT count(*) FROM applied_orders");

    /// <summary>A steady trickle of orders (8 at a time) that keeps going through whatever the test does to the shop.</summary>
    private sealed class OrderStream : IAsyncDisposable
    {
        public sealed record Exchange(OrderResponse Response, TimeSpan Sent, TimeSpan Answered);

        private readonly ConcurrentQueue<Exchange> responses = new();
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private readonly CancellationTokenSource stop = new();
        private readonly Task running;
        private int accepted;

        public OrderStream(TestShop shop, int firstProduct)
        {
            var edge = shop.EdgeClient();
            var sequence = 0;
            running = Task.WhenAll(Enumerable.Range(0, 8).Select(async lane =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var order = OrderTraffic.RandomOrders(1, firstProduct, 20, 2, 2, Interlocked.Increment(ref sequence) * 8 + lane)[0];
                    var sent = clock.Elapsed;
                    var response = await OrderTraffic.SendAsync(edge, order);
                    responses.Enqueue(new Exchange(response, sent, clock.Elapsed));
                    if (response.Status == HttpStatusCode.Accepted)
                    {
                        Interlocked.Increment(ref accepted);
                    }
                    else
                    {
                        await Task.Delay(100);
                    }
                }
            })).ContinueWith(_ => edge.Dispose());
        }

        public int AcceptedCount => Volatile.Read(ref accepted);

        public TimeSpan Mark() => clock.Elapsed;

        public Task WaitForAcceptedAsync(int count) =>
            Poll.UntilAsync(() => AcceptedCount >= count, $"{count} accepted orders");

        public async Task<IReadOnlyList<Exchange>> StopAsync()
        {
            await stop.CancelAsync();
            await running;
            return [.. responses];
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
}
