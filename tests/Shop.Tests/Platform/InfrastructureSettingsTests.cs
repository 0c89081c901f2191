using RabbitMQ.Client;
using Shop.AppHost.Local;
using Shop.Tests.Infrastructure;
using StackExchange.Redis;

namespace Shop.Tests.Platform;

/// <summary>The settings the shop states for its Redis and RabbitMQ are the ones the running servers use.</summary>
[Collection(ShopCollection.Name)]
public sealed class InfrastructureSettingsTests(ShopFixture fixture)
{
    private readonly TestShop shop = fixture.Shop;

    [Theory]
    [InlineData("redis")]
    [InlineData("cache")]
    public async Task Redis_runs_with_the_persistence_and_connection_settings_the_shop_states(string resource)
    {
        var options = ConfigurationOptions.Parse(await shop.ConnectionStringAsync(resource));
        options.AllowAdmin = true;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var server = redis.GetServers().Single();

        foreach (var line in LocalRedis.Settings.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (name, value) = (line[..line.IndexOf(' ')], line[(line.IndexOf(' ') + 1)..].Trim('"'));
            var actual = Assert.Single(await server.ConfigGetAsync(name)).Value;
            Assert.True(value == actual, $"Redis runs with {name} {actual}, the shop states {value}.");
        }
    }

    [Fact]
    public async Task RabbitMQ_offers_the_heartbeat_the_shop_states()
    {
        var factory = new ConnectionFactory
        {
            Uri = new Uri(await shop.ConnectionStringAsync("rabbitmq")),
            // Zero asks for no limit of the client's own, so the connection takes the broker's value.
            RequestedHeartbeat = TimeSpan.Zero,
        };

        await using var connection = await factory.CreateConnectionAsync();

        Assert.Equal(TimeSpan.FromSeconds(30), connection.Heartbeat);
    }

    [Fact]
    public void RabbitMQ_runs_with_the_scheduler_settings_the_shop_states()
    {
        // Every Erlang VM that boots the broker ("-s rabbit boot"): a command-line tool such as rabbitmq-diagnostics runs a
        // VM of its own for a moment, and a broker a fault test restarted may still be on its way out next to the new one.
        var brokers = ShopProcesses.Running(shop.DataDirectory).Where(process => process.Contains("beam.smp") && process.Contains(" -s rabbit boot")).ToList();
        Assert.NotEmpty(brokers);

        // The emulator lists its own flags with '-' where they were given with '+'.
        foreach (var (broker, flag) in brokers.SelectMany(broker => new[] { "sbwt", "sbwtdcpu", "sbwtdio" }.Select(flag => (broker, flag))))
        {
            Assert.Contains($" -{flag} {LocalRabbitMQ.SchedulerBusyWait} ", broker);
        }
    }
}
