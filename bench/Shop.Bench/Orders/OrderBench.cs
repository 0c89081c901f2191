using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Npgsql;
using RabbitMQ.Client;
using Shop.Bench.Cpu;
using Shop.Messaging;

namespace Shop.Bench.Orders;

/// <summary>
/// The order figures, all on the bench shop: intake through the edge against the intake floor (<c>edge.intake</c>,
/// same callers, same body), first with the workers running, then with them stopped (intake alone); then the workers'
/// apply rate against single-row sync-commit inserts, one caller per worker.
/// </summary>
public sealed class OrderBench(BenchShop shop, Baseline baseline, CpuMeter meter)
{
    private const int IntakeCallers = 32;
    /// <summary>
    /// Ready messages each apply run starts with. The workers are started afresh for every run, so the first second
    /// or so is JIT and warm-up: 5,000 orders were a few seconds at today's rate and under two at the goal's, with
    /// warm-up a large part of the window; 15,000 keep it a small one at either rate.
    /// </summary>
    private const int ApplyOrders = 15000;
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromMinutes(3);
    private static readonly int[] Products = [.. Enumerable.Range(1001, 400)];

    /// <summary>What a shopper's request carries: two lines, like the message the API publishes for it.</summary>
    private static object OrderBody(long n) => new
    {
        customer = new { email = $"bench-{n}@example.com", name = "Bench Shopper" },
        items = new[] { new { productId = Products[n % Products.Length], quantity = 1 }, new { productId = Products[(n * 7 + 3) % Products.Length], quantity = 2 } }
            .DistinctBy(i => i.productId),
    };

    private static OrderMessage Message(long n) => new(Guid.CreateVersion7(), $"bench-{Guid.NewGuid():N}", new string('a', 64),
        new OrderCustomer($"bench-{n}@example.com", "Bench Shopper"),
        new[] { new OrderMessageLine(Products[n % Products.Length], 1, 19.99m), new OrderMessageLine(Products[(n * 7 + 3) % Products.Length], 2, 5.49m) }
            .DistinctBy(l => l.ProductId).ToList(),
        30.97m, "EUR", DateTimeOffset.UtcNow);

    /// <summary>The paths the warm-up runs: intake through the edge and its floor.</summary>
    public IEnumerable<Side> WarmUp(HttpClient edge, HttpClient floor) => [Accept("orders.accept", edge), Intake(floor)];

    /// <param name="results">Each figure is added as soon as it is measured.</param>
    public async Task MeasureAsync(ICollection<IMeasurement> results, CancellationToken token)
    {
        // Plenty of stock, so the worker does the full job (decrements) for every order during the figures.
        await ExecuteAsync("UPDATE products SET stock = 1000000 WHERE id = ANY($1)", token, Products);
        using var edge = Client(shop.EdgeUrl);
        using var floor = Client(baseline.EdgeUrl);
        results.Add(await new Figure("orders.accept.with_workers", "req/s", Accept("orders.accept.with_workers", edge), Intake(floor)).MeasureAsync(meter, token));
        try
        {
            await StopWorkersAsync();
            var accept = await new Figure("orders.accept", "req/s", Accept("orders.accept", edge), Intake(floor)).MeasureAsync(meter, token);
            results.Add(accept);
            // The latency a shopper sees when intake is busy but not saturated: half the rate it just reached, offered
            // at a steady pace (both sides at the same rate).
            var half = Stats.Median(accept.Runs.Select(r => r.PerSecond)) / 2;
            results.Add(await new Figure("orders.accept.half_rate", "req/s",
                Side.Rate("orders.accept.half_rate", () => half, PlaceOrder(edge)),
                Side.Rate("edge.intake.half_rate", () => half, PlaceIntake(floor))).MeasureAsync(meter, token));
            await ExecuteAsync("CREATE TABLE IF NOT EXISTS bench_insert (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL)", token);
            try
            {
                results.Add(await new Figure("orders.apply", "orders/s", new Side("orders.apply", ApplyAsync), await InsertAsync(token), Latency: false)
                    .MeasureAsync(meter, token));
            }
            finally
            {
                await ExecuteAsync("DROP TABLE IF EXISTS bench_insert", CancellationToken.None);
            }
        }
        finally
        {
            await StartWorkersAsync();
        }
    }

    private static HttpClient Client(string url) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = IntakeCallers }) { BaseAddress = new Uri(url) };

    /// <summary>POST /api/orders through the edge, each with a fresh idempotency key (runs of a loop restart their numbering).</summary>
    private static Side Accept(string name, HttpClient edge) => Side.Loop(name, IntakeCallers, PlaceOrder(edge));

    private static Func<long, CancellationToken, Task> PlaceOrder(HttpClient edge) =>
        async (n, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(OrderBody(n)) };
            request.Headers.Add("Idempotency-Key", $"bench-{Guid.NewGuid():N}");
            using var response = await edge.SendAsync(request, ct);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                throw new InvalidOperationException($"POST /api/orders answered {(int)response.StatusCode}");
            }
        };

    /// <summary>The same request to the intake floor: one sync-commit INSERT and one confirmed publish.</summary>
    private static Side Intake(HttpClient floor) => Side.Loop("edge.intake", IntakeCallers, PlaceIntake(floor));

    private static Func<long, CancellationToken, Task> PlaceIntake(HttpClient floor) => async (n, ct) =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Baseline.IntakePath) { Content = JsonContent.Create(OrderBody(n)) };
        request.Headers.Add("Idempotency-Key", $"bench-{Guid.NewGuid():N}");
        using var response = await floor.SendAsync(request, ct);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST {Baseline.IntakePath} answered {(int)response.StatusCode}");
        }
    };

    /// <summary>Single-row inserts, one transaction each, synchronous_commit on: one caller per worker instance.</summary>
    private async Task<Side> InsertAsync(CancellationToken token)
    {
        var body = System.Text.Encoding.UTF8.GetString(Message(0).ToBytes());
        var connection = new NpgsqlConnectionStringBuilder(await shop.ConnectionStringAsync("postgres")) { Options = "-c synchronous_commit=on" };
        var database = NpgsqlDataSource.Create(connection.ConnectionString);
        return Side.Loop("postgres.insert", BenchShop.OrderWorkers.Count, async (_, ct) =>
        {
            await using var insert = database.CreateCommand("INSERT INTO bench_insert (body) VALUES ($1)");
            insert.Parameters.Add(new NpgsqlParameter { Value = body });
            await insert.ExecuteNonQueryAsync(ct);
        });
    }

    /// <summary>
    /// One apply run: with the workers stopped, tops the queue up to <see cref="ApplyOrders"/> ready orders, starts the
    /// workers, and once every worker is consuming, times the queue's ready count down to zero. Progress is read
    /// from the broker (a passive declare on a connection of its own), never from the database the workers write to.
    /// </summary>
    private async Task<LoadRun> ApplyAsync(CpuMeter window, CancellationToken token)
    {
        await StopWorkersAsync();
        await using var connection = await BrokerAsync(token);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), token);
        await OrderQueue.DeclareAsync(connection, token);
        var queued = (await channel.QueueDeclarePassiveAsync(OrderQueue.Name, token)).MessageCount;
        for (var n = (int)queued; n < ApplyOrders; n += 500)
        {
            var messages = Enumerable.Range(n, Math.Min(500, ApplyOrders - n)).Select(i => Message(i)).ToList();
            await Task.WhenAll(messages.Select(m => channel.BasicPublishAsync("", OrderQueue.Name, true, OrderQueue.Properties(m.OrderId), m.ToBytes(), token).AsTask()));
        }

        var starting = StartWorkersAsync();
        var deadline = Stopwatch.StartNew();
        uint ready;
        uint consumers;
        do
        {
            (ready, consumers) = await DepthAsync(channel, token);
            await Task.Delay(20, token);
        }
        while (consumers < BenchShop.OrderWorkers.Count && deadline.Elapsed < ApplyTimeout);

        window.Start();
        var clock = Stopwatch.StartNew();
        var first = ready;
        while (ready > 0 && deadline.Elapsed < ApplyTimeout)
        {
            await Task.Delay(50, token);
            (ready, consumers) = await DepthAsync(channel, token);
        }
        clock.Stop();
        await window.StopAsync();
        await starting;

        var applied = first - ready;
        var perSecond = clock.Elapsed > TimeSpan.Zero ? applied / clock.Elapsed.TotalSeconds : 0;
        return new LoadRun(perSecond, 0, 0, applied, ready,
            $"orders.apply: {ApplyOrders:N0} orders ready with the workers stopped ({queued:N0} already queued); once all " +
            $"{BenchShop.OrderWorkers.Count} workers consumed, {first:N0} were still ready and {ready:N0} after {clock.Elapsed.TotalSeconds:N2} s " +
            $"= {perSecond:N1}/s (the queue's ready count, from a passive declare)\n");
    }

    private static async Task<(uint Ready, uint Consumers)> DepthAsync(IChannel channel, CancellationToken token)
    {
        var queue = await channel.QueueDeclarePassiveAsync(OrderQueue.Name, token);
        return (queue.MessageCount, queue.ConsumerCount);
    }

    private async Task StopWorkersAsync()
    {
        foreach (var worker in BenchShop.OrderWorkers)
        {
            await shop.StopIfRunningAsync(worker);
        }
    }

    private Task StartWorkersAsync() =>
        Task.WhenAll(BenchShop.OrderWorkers.Select(shop.StartAgainAsync));

    private async Task<IConnection> BrokerAsync(CancellationToken token) =>
        await new ConnectionFactory { Uri = new Uri(await shop.ConnectionStringAsync("rabbitmq")) }.CreateConnectionAsync(token);

    private async Task ExecuteAsync(string sql, CancellationToken token, params object[] parameters)
    {
        await using var database = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using var command = database.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        await command.ExecuteNonQueryAsync(token);
    }
}
