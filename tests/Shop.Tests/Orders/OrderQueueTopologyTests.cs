using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using Shop.Messaging;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Orders;

/// <summary>
/// The orders queue is a quorum queue with an explicit delivery limit, and a classic queue an older version left in a
/// data folder becomes one with its messages (the same code the services run at start, on queues of the test's own).
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class OrderQueueTopologyTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;
    private readonly OrderTraffic traffic = new(fixture.Shop);

    [Fact]
    public async Task The_orders_queue_and_its_dead_letter_queue_are_quorum_queues_and_orders_has_an_explicit_delivery_limit()
    {
        var orders = (await QueueAsync(OrderQueue.Name))!.Value;
        var deadLetters = (await QueueAsync(OrderQueue.DeadLetterName))!.Value;

        Assert.Equal("quorum", orders.GetProperty("type").GetString());
        Assert.Equal("quorum", deadLetters.GetProperty("type").GetString());
        var arguments = orders.GetProperty("arguments");
        Assert.Equal(OrderQueue.DeliveryLimit, arguments.GetProperty("x-delivery-limit").GetInt32());
        Assert.True(OrderQueue.DeliveryLimit > 20, "RabbitMQ 4's default delivery limit would dead-letter orders during a long outage.");
        Assert.Equal(OrderQueue.DeadLetterName, arguments.GetProperty("x-dead-letter-routing-key").GetString());
        Assert.Equal("", arguments.GetProperty("x-dead-letter-exchange").GetString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(25)]
    public async Task A_classic_queue_from_before_becomes_a_quorum_queue_with_all_its_messages(int messages)
    {
        var name = $"test.migration.{Guid.NewGuid():N}";
        Dictionary<string, object?> classic = new() { ["x-dead-letter-exchange"] = "", ["x-dead-letter-routing-key"] = name + ".dead" };
        var quorum = new Dictionary<string, object?>(classic) { ["x-queue-type"] = "quorum", ["x-delivery-limit"] = OrderQueue.DeliveryLimit };
        var bodies = Enumerable.Range(0, messages).Select(i => $"message {i}").ToList();
        await using var connection = await traffic.BrokerAsync();
        try
        {
            await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
            {
                await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, classic);
                foreach (var body in bodies)
                {
                    await channel.BasicPublishAsync("", name, true, OrderQueue.Properties(Guid.NewGuid()), Encoding.UTF8.GetBytes(body));
                }
            }
            Assert.Equal("classic", (await QueueAsync(name))!.Value.GetProperty("type").GetString());

            // Two processes at once (a connection each), as the API instances and the workers start together: one moves.
            var migrated = new[] { new List<string>(), new List<string>() };
            await using var other = await traffic.BrokerAsync();
            await Task.WhenAll(QuorumQueues.DeclareAsync(connection, name, quorum, classic, migrated[0]),
                QuorumQueues.DeclareAsync(other, name, quorum, classic, migrated[1]));

            Assert.Equal($"The classic queue '{name}' became a quorum queue; {messages} message(s) were moved into it.",
                Assert.Single(migrated.SelectMany(notes => notes)));
            Assert.Equal("quorum", (await QueueAsync(name))!.Value.GetProperty("type").GetString());
            Assert.Null(await QueueAsync(name + QuorumQueues.HoldingSuffix));
            var moved = new List<string>();
            await using (var channel = await connection.CreateChannelAsync())
            {
                while (await channel.BasicGetAsync(name, autoAck: true) is { } message)
                {
                    moved.Add(Encoding.UTF8.GetString(message.Body.Span));
                    Assert.True(message.BasicProperties.Persistent);
                }
            }
            // Each exactly once; two movers at once may interleave them.
            Assert.Equal(bodies.Order(), moved.Order());
        }
        finally
        {
            foreach (var queue in new[] { name, name + QuorumQueues.HoldingSuffix })
            {
                await using var cleanup = await connection.CreateChannelAsync();
                try
                {
                    await cleanup.QueueDeleteAsync(queue);
                }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
                {
                    // Gone already.
                }
            }
        }
    }

    /// <summary>The queue as the management API describes it, or null when there is none.</summary>
    private async Task<JsonElement?> QueueAsync(string name)
    {
        var amqp = new Uri(await shop.ConnectionStringAsync("rabbitmq"));
        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{shop.Ports.RabbitMQManagement}") };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(amqp.UserInfo))));
        using var response = await management.GetAsync($"/api/queues/%2F/{Uri.EscapeDataString(name)}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
