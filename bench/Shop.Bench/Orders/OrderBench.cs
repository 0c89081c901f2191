using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Npgsql;
using RabbitMQ.Client;
using Shop.Messaging;

namespace Shop.Bench.Orders;

/// <summary>
/// The order figures and their floors, all on the bench shop: intake through one API instance against raw confirmed
/// publishes to the same broker, intake again while a heavy report runs on the read replica against intake without
/// it, and the workers' apply rate against raw single-row inserts into the same database.
/// </summary>
public sealed class OrderBench(BenchShop shop)
{
    private const int IntakeCallers = 32;
    private const int ApplyOrders = 6000;
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

    public async Task<IReadOnlyList<IMeasurement>> MeasureAsync(CancellationToken token)
    {
        // Plenty of stock, so the worker does the full job (decrements) for every order during the figures.
        await ExecuteAsync($"UPDATE products SET stock = 1000000 WHERE id = ANY($1)", token, Products);

        Console.WriteLine("Measuring rabbitmq.publish.confirmed, then orders.accept, then orders.accept.during_report ...");
        var publish = await PublishConfirmedAsync(token);
        var acceptStarted = await ScalarAsync<DateTime>("SELECT now()", token);
        var accept = await AcceptAsync("orders.accept", token);
        var duringReport = await AcceptDuringReportAsync(accept, acceptStarted, token);
        Console.WriteLine("Measuring postgres.insert, then orders.apply ...");
        var insert = await InsertAsync(token);
        var apply = await ApplyAsync(token);
        return
        [
            new LoadMeasurement("orders.accept", accept, "rabbitmq.publish.confirmed", publish, "orders/s"),
            duringReport,
            new LoadMeasurement("orders.apply", apply, "postgres.insert", insert, "orders/s", Latency: false),
        ];
    }

    /// <summary>Raw persistent publishes with confirms, same size and concurrency as intake, to a queue nobody reads.</summary>
    private async Task<LoadRun> PublishConfirmedAsync(CancellationToken token)
    {
        const string queue = "bench.publish";
        await using var connection = await BrokerAsync(token);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), token);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: token);
        try
        {
            return await ClosedLoop.RunAsync("rabbitmq.publish.confirmed", IntakeCallers, async (n, ct) =>
            {
                var message = Message(n);
                await channel.BasicPublishAsync("", queue, true, OrderQueue.Properties(message.OrderId), message.ToBytes(), ct);
            }, token);
        }
        finally
        {
            await channel.QueueDeleteAsync(queue, cancellationToken: CancellationToken.None);
        }
    }

    /// <summary>POST /api/orders straight to one API instance (not the edge), each with a fresh idempotency key.</summary>
    private async Task<LoadRun> AcceptAsync(string what, CancellationToken token)
    {
        using var api = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = IntakeCallers }) { BaseAddress = new Uri(shop.ApiUrl) };
        var run = Guid.NewGuid().ToString("N")[..8];
        return await ClosedLoop.RunAsync(what, IntakeCallers, async (n, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(OrderBody(n)) };
            request.Headers.Add("Idempotency-Key", $"bench-{run}-{n}");
            using var response = await api.SendAsync(request, ct);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                throw new InvalidOperationException($"POST /api/orders answered {(int)response.StatusCode}");
            }
        }, token);
    }

    /// <summary>
    /// The same intake loop as orders.accept, with <see cref="ReplicaReport"/>'s heavy query running on the read
    /// replica from just before the loop until it ends (issue 6), so the ratio to orders.accept is what the report
    /// costs intake. It starts once the workers have applied the orders orders.accept left them, so both loops meet
    /// the same backlog.
    /// </summary>
    private async Task<IMeasurement> AcceptDuringReportAsync(LoadRun withoutReport, DateTime acceptStarted, CancellationToken token)
    {
        const string name = "orders.accept.during_report";
        var caughtUp = await WaitForWorkersAsync(acceptStarted, token);
        LoadRun run;
        string report;
        string? problem;
        await using (var replicaReport = await ReplicaReport.StartAsync(await shop.ConnectionStringAsync("postgres-replica"), token))
        {
            run = replicaReport.Problem is null
                ? await AcceptAsync(name, token)
                : new LoadRun(0, 0, 0, 0, 0, $"{name}: not measured\n");
            report = await replicaReport.StopAsync();
            problem = replicaReport.Problem;
        }
        return new DuringReportMeasurement(new LoadMeasurement(name, run, "orders.accept", withoutReport, "orders/s"), caughtUp + report, problem);
    }

    /// <summary>Until no order placed since <paramref name="since"/> waits for a worker any more (at most a minute).</summary>
    /// <returns>A line for the raw report: how long that took.</returns>
    private async Task<string> WaitForWorkersAsync(DateTime since, CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        await using var database = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using var waiting = database.CreateCommand("SELECT count(*) FROM orders WHERE status = 'Accepted' AND created_at >= $1");
        waiting.Parameters.Add(new NpgsqlParameter { Value = since });
        long left;
        while ((left = (long)(await waiting.ExecuteScalarAsync(token))!) > 0 && clock.Elapsed < TimeSpan.FromMinutes(1))
        {
            await Task.Delay(100, token);
        }
        return left == 0
            ? $"before the loop: the workers applied the last of orders.accept's orders {clock.Elapsed.TotalSeconds:N1} s after it ended\n"
            : $"before the loop: {left:N0} of orders.accept's orders still waited for a worker {clock.Elapsed.TotalSeconds:N0} s after it ended; measured anyway\n";
    }

    /// <summary>Single-row inserts, one transaction each, synchronous_commit on: one caller per worker instance.</summary>
    private async Task<LoadRun> InsertAsync(CancellationToken token)
    {
        await ExecuteAsync("CREATE TABLE IF NOT EXISTS bench_insert (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL)", token);
        var body = System.Text.Encoding.UTF8.GetString(Message(0).ToBytes());
        var connection = new NpgsqlConnectionStringBuilder(await shop.ConnectionStringAsync("postgres")) { Options = "-c synchronous_commit=on" };
        await using var database = NpgsqlDataSource.Create(connection.ConnectionString);
        try
        {
            return await ClosedLoop.RunAsync("postgres.insert (synchronous_commit=on)", BenchShop.OrderWorkers.Count, async (_, ct) =>
            {
                await using var insert = database.CreateCommand("INSERT INTO bench_insert (body) VALUES ($1)");
                insert.Parameters.Add(new NpgsqlParameter { Value = body });
                await insert.ExecuteNonQueryAsync(ct);
            }, token);
        }
        finally
        {
            await ExecuteAsync("DROP TABLE bench_insert", CancellationToken.None);
        }
    }

    /// <summary>
    /// Fills the queue while the workers are stopped, starts them, and times from the first applied order to the
    /// last, so worker start-up is not part of the figure.
    /// </summary>
    private async Task<LoadRun> ApplyAsync(CancellationToken token)
    {
        foreach (var worker in BenchShop.OrderWorkers)
        {
            await shop.StopAsync(worker, token);
        }
        var ids = new List<Guid>(ApplyOrders);
        await using (var connection = await BrokerAsync(token))
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), token))
        {
            await OrderQueue.DeclareAsync(channel, token);
            for (var n = 0; n < ApplyOrders; n += 500)
            {
                var messages = Enumerable.Range(n, 500).Select(i => Message(i)).ToList();
                ids.AddRange(messages.Select(m => m.OrderId));
                await Task.WhenAll(messages.Select(m => channel.BasicPublishAsync("", OrderQueue.Name, true, OrderQueue.Properties(m.OrderId), m.ToBytes(), token).AsTask()));
            }
        }

        // Counting starts before the workers do: they apply orders before their health check first reports them.
        var starting = Task.WhenAll(BenchShop.OrderWorkers.Select(worker => shop.StartAsync(worker, token)));
        await using var database = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        var idArray = ids.ToArray();
        long applied;
        var clock = new Stopwatch();
        long firstSeen = 0;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        do
        {
            await Task.Delay(50, token);
            await using var count = database.CreateCommand("SELECT count(*) FROM applied_orders WHERE order_id = ANY($1)");
            count.Parameters.Add(new NpgsqlParameter { Value = idArray });
            applied = (long)(await count.ExecuteScalarAsync(token))!;
            if (applied > 0 && !clock.IsRunning)
            {
                clock.Start();
                firstSeen = applied;
            }
        }
        while (applied < ApplyOrders && DateTime.UtcNow < deadline);
        clock.Stop();
        await starting;

        var perSecond = clock.Elapsed > TimeSpan.Zero ? (applied - firstSeen) / clock.Elapsed.TotalSeconds : 0;
        return new LoadRun(perSecond, 0, 0, applied, ApplyOrders - applied,
            $"orders.apply: {ApplyOrders:N0} orders queued with the workers stopped; {applied:N0} applied; " +
            $"{applied - firstSeen:N0} of them in {clock.Elapsed.TotalSeconds:N2} s after the first = {perSecond:N1}/s by {BenchShop.OrderWorkers.Count} workers\n");
    }

    private async Task<IConnection> BrokerAsync(CancellationToken token) =>
        await new ConnectionFactory { Uri = new Uri(await shop.ConnectionStringAsync("rabbitmq")) }.CreateConnectionAsync(token);

    private async Task<T> ScalarAsync<T>(string sql, CancellationToken token)
    {
        await using var database = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using var command = database.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(token))!;
    }

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
