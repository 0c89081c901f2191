using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;
using Shop.Messaging;
using Shop.Tests.Infrastructure;
using StackExchange.Redis;

namespace Shop.Tests.Hardening;

/// <summary>
/// Everything a request could write, counted: order, sale and staff rows on the primary, carts in Redis (the cache server), and messages
/// ever published to the order queues (RabbitMQ's management counters, since the workers empty the queue at once).
/// </summary>
public sealed record WrittenState(IReadOnlyDictionary<string, long> Counts)
{
    private static readonly string[] Tables = ["orders", "order_lines", "sales", "sale_admissions", "staff.\"AspNetUsers\""];

    public static async Task<WrittenState> ReadAsync(TestShop shop)
    {
        var counts = new Dictionary<string, long>();
        await using (var db = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres")))
        {
            foreach (var table in Tables)
            {
                await using var count = db.CreateCommand($"SELECT count(*) FROM {table}");
                counts[$"rows in {table}"] = (long)(await count.ExecuteScalarAsync())!;
            }
        }

        await using (var redis = await ConnectionMultiplexer.ConnectAsync(await shop.ConnectionStringAsync("cache")))
        {
            counts["carts in Redis"] = redis.GetServers().Single().Keys(pattern: "cart:*", pageSize: 1000).LongCount();
        }

        var amqp = new Uri(await shop.ConnectionStringAsync("rabbitmq"));
        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{shop.Ports.RabbitMQManagement}") };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(amqp.UserInfo))));
        foreach (var queue in new[] { OrderQueue.Name, OrderQueue.DeadLetterName })
        {
            using var response = await management.GetAsync($"/api/queues/%2F/{Uri.EscapeDataString(queue)}");
            response.EnsureSuccessStatusCode();
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var published = json.RootElement.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty("publish", out var publish)
                ? publish.GetInt64() : 0;
            counts[$"messages published to {queue}"] = published;
        }
        return new WrittenState(counts);
    }

    /// <summary>RabbitMQ refreshes its management counters every few seconds; read after this wait to see the last publish.</summary>
    public static readonly TimeSpan CounterRefresh = TimeSpan.FromSeconds(7);

    public IEnumerable<string> ChangesSince(WrittenState before) =>
        Counts.Where(c => before.Counts.GetValueOrDefault(c.Key) != c.Value)
            .Select(c => $"{c.Key}: {before.Counts.GetValueOrDefault(c.Key)} → {c.Value}");
}
