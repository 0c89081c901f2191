using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;

namespace Shop.AppHost.Local;

/// <summary>
/// A private RabbitMQ node from Debian's package, in the foreground, with its own node name, ports and folders,
/// so it neither needs nor disturbs a system-wide RabbitMQ.
/// </summary>
public static class LocalRabbitMQ
{
    private const string UserName = "shop";

    /// <summary>
    /// Stated rather than left to the broker's defaults. Heartbeats every 30 s: a worker that vanished without closing
    /// its connection is noticed within about a minute, and its unacknowledged orders go to another worker. A delivery
    /// a worker holds for 30 minutes without acknowledging is taken back (the worker's channel is closed), so a stuck
    /// worker cannot keep orders from the queue for ever.
    /// </summary>
    public const string Settings = """
        heartbeat = 30
        consumer_timeout = 1800000
        """;
    /// <summary>
    /// Erlang's schedulers may spin while they wait for work, which costs nothing on a machine of the broker's own and
    /// takes a core from the services on a shared one. RabbitMQ's scripts pass this threshold to all three kinds of
    /// scheduler (<c>+sbwt</c>, <c>+sbwtdcpu</c>, <c>+sbwtdio</c>); <c>none</c> is Debian's 3.10 default too, stated so an
    /// upgrade that changes it does not change the shop.
    /// </summary>
    public const string SchedulerBusyWait = "none";

    private static readonly ServiceUser RabbitMQ = new("rabbitmq");

    /// <summary>Erlang's distribution listener on loopback only (its default is every interface).</summary>
    private const string LoopbackDistribution = "-kernel inet_dist_use_interface {127,0,0,1}";

    public static IResourceBuilder<LocalServerResource> AddLocalRabbitMQ(
        this IDistributedApplicationBuilder builder, string name, int port, int managementPort,
        int distributionPort, int epmdPort, IResourceBuilder<ParameterResource> password, string dataDirectory)
    {
        var configFile = Path.Combine(dataDirectory, "rabbitmq.conf");
        var definitionsFile = Path.Combine(dataDirectory, "definitions.json");
        var pluginsFile = Path.Combine(dataDirectory, "enabled_plugins");
        var home = Path.Combine(dataDirectory, "home");
        var nodeName = $"shop-{port}@localhost";

        // Bypass Debian's /usr/sbin wrapper: it re-launches through su, which hides the server from our stop signal.
        var (command, arguments) = RabbitMQ.Command("/usr/lib/rabbitmq/bin/rabbitmq-server");
        var rabbit = new LocalServerResource(name, command, dataDirectory)
        {
            ConnectionStringExpression = ReferenceExpression.Create($"amqp://{UserName}:{password}@127.0.0.1:{port.ToString()}/"),
        };

        return builder.AddResource(rabbit)
            .WithArgs(arguments)
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: "tcp", isProxied: false)
            .WithHttpEndpoint(port: managementPort, targetPort: managementPort, name: "management", isProxied: false)
            .WithEnvironment("RABBITMQ_NODENAME", nodeName)
            .WithEnvironment("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .WithEnvironment("RABBITMQ_NODE_PORT", port.ToString())
            .WithEnvironment("RABBITMQ_DIST_PORT", distributionPort.ToString())
            .WithEnvironment("ERL_EPMD_PORT", epmdPort.ToString())
            // Erlang's distribution port and epmd listen on every interface by default: a neighbour that reached them
            // and guessed the cookie would run code in the broker. Only this machine's tools ever need them.
            .WithEnvironment("ERL_EPMD_ADDRESS", "127.0.0.1")
            .WithEnvironment("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", LoopbackDistribution)
            // A command-line tool's VM started in the broker's environment (rabbitmq-diagnostics) listens the same way.
            .WithEnvironment("RABBITMQ_CTL_ERL_ARGS", LoopbackDistribution)
            .WithEnvironment("RABBITMQ_MNESIA_BASE", Path.Combine(dataDirectory, "mnesia"))
            .WithEnvironment("RABBITMQ_LOG_BASE", Path.Combine(dataDirectory, "log"))
            .WithEnvironment("RABBITMQ_LOGS", "-")
            .WithEnvironment("RABBITMQ_SCHEDULER_BUSY_WAIT_THRESHOLD", SchedulerBusyWait)
            .WithEnvironment("RABBITMQ_CONFIG_FILE", configFile)
            .WithEnvironment("RABBITMQ_ENABLED_PLUGINS_FILE", pluginsFile)
            .WithEnvironment("RABBITMQ_CONF_ENV_FILE", Path.Combine(dataDirectory, "rabbitmq-env.conf"))
            .WithEnvironment("HOME", home)
            .OnBeforeResourceStarted(async (_, _, cancellationToken) =>
            {
                // The definitions (the user's password hash), the Erlang cookie in home and the message store are the broker's alone.
                await PrivateFiles.MakePrivateAsync(dataDirectory);
                Directory.CreateDirectory(home);
                await File.WriteAllTextAsync(Path.Combine(dataDirectory, "rabbitmq-env.conf"), "", cancellationToken);
                await File.WriteAllTextAsync(pluginsFile, "[rabbitmq_management].", cancellationToken);
                await File.WriteAllTextAsync(configFile, $"""
                    listeners.tcp.default = 127.0.0.1:{port}
                    management.tcp.ip = 127.0.0.1
                    management.tcp.port = {managementPort}
                    load_definitions = {definitionsFile}
                    {Settings}
                    """, cancellationToken);
                // Imported on every boot, so the user's password always matches the current secret.
                await PrivateFiles.WriteAsync(definitionsFile,
                    Definitions(await password.Resource.GetValueAsync(cancellationToken) ?? ""), cancellationToken);
                await LocalProcessExtensions.EnsureOwnedDirectoryAsync(dataDirectory, RabbitMQ.Name);
            })
            .WithReadinessProbe(async cancellationToken =>
            {
                var factory = new ConnectionFactory
                {
                    Uri = new Uri((await ((IResourceWithConnectionString)rabbit).GetConnectionStringAsync(cancellationToken))!),
                    RequestedConnectionTimeout = TimeSpan.FromSeconds(3),
                };
                await using var connection = await factory.CreateConnectionAsync(cancellationToken);
            });
    }

    private static string Definitions(string password) => JsonSerializer.Serialize(new
    {
        users = new[]
        {
            new { name = UserName, password_hash = HashPassword(password), hashing_algorithm = "rabbit_password_hashing_sha256", tags = new[] { "administrator" } },
        },
        vhosts = new[] { new { name = "/" } },
        permissions = new[] { new { user = UserName, vhost = "/", configure = ".*", write = ".*", read = ".*" } },
    });

    /// <summary>RabbitMQ's stored form: base64(salt ‖ SHA-256(salt ‖ UTF-8 password)) with a 4-byte salt.</summary>
    private static string HashPassword(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(4);
        var hash = SHA256.HashData([.. salt, .. Encoding.UTF8.GetBytes(password)]);
        return Convert.ToBase64String([.. salt, .. hash]);
    }
}
