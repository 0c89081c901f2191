using Npgsql;
using RabbitMQ.Client;
using StackExchange.Redis;

// The floors the benchmark figures are divided by: Kestrel doing the least a path must do, with nothing else in the
// way — no service defaults, no telemetry, no per-request logging. It sits behind an nginx of its own running the
// edge's generated config, so its endpoints live under /api/ and pass the same location, headers and keep-alive as
// the shop's API. The URL comes from --urls; the bench shop's Redis, Postgres primary and RabbitMQ from
// ConnectionStrings:redis|postgres|rabbitmq.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Error);
var connections = builder.Configuration.GetSection("ConnectionStrings");

var app = builder.Build();

// edge.plaintext: the edge and Kestrel, nothing else.
app.MapGet("/api/bench/plaintext", () => "ok");

// edge.redis: one INCR per request, as a waiting-room join makes at least one Redis call.
if (connections["redis"] is { Length: > 0 } redisConnection)
{
    var redis = await ConnectionMultiplexer.ConnectAsync(redisConnection);
    var database = redis.GetDatabase();
    app.MapMethods("/api/bench/redis", ["GET", "POST"], async () => TypedResults.Ok(await database.StringIncrementAsync("bench:incr")));
}

// edge.intake: what accepting an order cannot avoid — the order made durable in Postgres (one single-row INSERT,
// synchronous_commit on) and handed to the broker (one persistent publish, awaited until the broker confirms it).
if (connections["postgres"] is { Length: > 0 } postgresConnection && connections["rabbitmq"] is { Length: > 0 } rabbitConnection)
{
    var postgres = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(postgresConnection) { Options = "-c synchronous_commit=on" }.ConnectionString);
    await using (var create = postgres.CreateCommand(BenchIntake.CreateTable))
    {
        await create.ExecuteNonQueryAsync();
    }
    var broker = await new ConnectionFactory { Uri = new Uri(rabbitConnection) }.CreateConnectionAsync();
    var channel = await broker.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
    await channel.QueueDeclareAsync(BenchIntake.Queue, durable: true, exclusive: false, autoDelete: false);
    var persistent = new BasicProperties { Persistent = true, ContentType = "application/json" };

    app.MapPost("/api/bench/intake", async (HttpRequest request, CancellationToken token) =>
    {
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, token);
        var bytes = body.ToArray();
        await using (var insert = postgres.CreateCommand($"INSERT INTO {BenchIntake.Table} (body) VALUES ($1)"))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = bytes });
            await insert.ExecuteNonQueryAsync(token);
        }
        await channel.BasicPublishAsync("", BenchIntake.Queue, mandatory: true, persistent, bytes, token);
        return TypedResults.Accepted((string?)null);
    });
}

app.Run();

/// <summary>The baseline's own table and queue; the bench runner drops both when it stops the baseline.</summary>
internal static class BenchIntake
{
    public const string Table = "bench_intake";
    public const string Queue = "bench.intake";
    public const string CreateTable = $"CREATE TABLE IF NOT EXISTS {Table} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body bytea NOT NULL)";
}
