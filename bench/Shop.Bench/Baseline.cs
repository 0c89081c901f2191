using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using RabbitMQ.Client;
using Shop.AppHost.Edge;
using Shop.AppHost.Local;

namespace Shop.Bench;

/// <summary>
/// The floors: Shop.Bench.Baseline's build output (a bare Kestrel) on a free loopback port, behind an nginx of its own
/// that runs the config the AppHost writes for the shop's edge, with the Kestrel as its only API instance. So a
/// baseline pays the same edge, location, headers and keep-alive as the figure it is divided by.
/// </summary>
public sealed class Baseline : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly Process kestrel;
    private readonly Process edge;
    private readonly BenchShop shop;

    private Baseline(BenchShop shop, Process kestrel, Process edge, int edgePort)
    {
        this.shop = shop;
        this.kestrel = kestrel;
        this.edge = edge;
        EdgeUrl = $"http://127.0.0.1:{edgePort}";
    }

    /// <summary>The baseline's edge, to which every baseline path below is relative.</summary>
    public string EdgeUrl { get; }

    /// <summary><c>edge.plaintext</c>: "ok".</summary>
    public const string PlaintextPath = "/api/bench/plaintext";

    /// <summary><c>edge.redis</c>: one INCR on the bench shop's Redis (GET or POST).</summary>
    public const string RedisPath = "/api/bench/redis";

    /// <summary><c>edge.intake</c>: POST; one sync-commit INSERT on the primary, one confirmed persistent publish.</summary>
    public const string IntakePath = "/api/bench/intake";

    public int KestrelPid => kestrel.Id;
    public int EdgePid => edge.Id;

    /// <param name="processTag">Carried like the shop's own processes carry it, so <c>./shop</c> reaps a baseline this runner left behind.</param>
    public static async Task<Baseline> StartAsync(BenchShop shop, string processTag, CancellationToken token)
    {
        var ports = FreePorts(4);
        var kestrel = Process.Start(new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Shop.Bench.Baseline.dll"), "--urls", $"http://127.0.0.1:{ports[0]}" },
            Environment =
            {
                [LocalProcessExtensions.ProcessTagVariable] = processTag,
                ["ConnectionStrings__redis"] = await shop.ConnectionStringAsync("redis"),
                ["ConnectionStrings__postgres"] = await shop.ConnectionStringAsync("postgres"),
                ["ConnectionStrings__rabbitmq"] = await shop.ConnectionStringAsync("rabbitmq"),
            },
        }) ?? throw new InvalidOperationException("The baseline did not start.");

        try
        {
            // The edge starts once its only upstream answers, so it never logs a refused connection of its start-up.
            await WaitUntilAnsweringAsync($"http://127.0.0.1:{ports[0]}", kestrel, null, token);
        }
        catch
        {
            kestrel.Kill(entireProcessTree: true);
            throw;
        }

        // Every upstream of the edge's config is the baseline Kestrel; only /api/ is ever asked for.
        var directory = Path.Combine(shop.DataDirectory, "baseline-edge");
        var layout = new EdgeLayout(ports[1], ports[2], "127.0.0.1", ports[0], [ports[0]], ports[0], ports[3], ports[0],
            directory, Path.Combine(directory, "tls", "edge.crt"), Path.Combine(directory, "tls", "edge.key"), EdgeLayout.LocalWorker);
        var configFile = Path.Combine(directory, "nginx.conf");
        await EdgeExtensions.PrepareAsync(layout, directory, configFile);
        // The config logs to stderr, as the shop's edge does into its resource log; here that is a file beside it.
        var log = new StreamWriter(Path.Combine(directory, "error.log"), append: true) { AutoFlush = true };
        var edge = Process.Start(new ProcessStartInfo("/usr/sbin/nginx", ["-e", "stderr", "-p", directory, "-c", configFile, "-g", "daemon off;"])
        {
            RedirectStandardError = true,
            Environment = { [LocalProcessExtensions.ProcessTagVariable] = processTag },
        }) ?? throw new InvalidOperationException("The baseline's edge did not start.");
        edge.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                lock (log)
                {
                    log.WriteLine(line.Data);
                }
            }
        };
        edge.BeginErrorReadLine();

        var baseline = new Baseline(shop, kestrel, edge, ports[1]);
        try
        {
            await WaitUntilAnsweringAsync(baseline.EdgeUrl, kestrel, edge, token);
            return baseline;
        }
        catch
        {
            await baseline.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in new[] { edge, kestrel })
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            await process.WaitForExitAsync();
            process.Dispose();
        }
        await DropIntakeAsync();
    }

    /// <summary>The intake floor's table and queue, which the baseline made for itself.</summary>
    private async Task DropIntakeAsync()
    {
        try
        {
            await using var database = NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
            await using var drop = database.CreateCommand("DROP TABLE IF EXISTS bench_intake");
            await drop.ExecuteNonQueryAsync();
            await using var broker = await new ConnectionFactory { Uri = new Uri(await shop.ConnectionStringAsync("rabbitmq")) }.CreateConnectionAsync();
            await using var channel = await broker.CreateChannelAsync();
            await channel.QueueDeleteAsync("bench.intake");
        }
        catch (Exception e) when (e is NpgsqlException or RabbitMQ.Client.Exceptions.RabbitMQClientException or InvalidOperationException)
        {
            Console.Error.WriteLine($"Could not drop the intake baseline's table or queue: {e.Message}");
        }
    }

    private static async Task WaitUntilAnsweringAsync(string url, Process kestrel, Process? edge, CancellationToken token)
    {
        using var client = new HttpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(StartTimeout);
        while (true)
        {
            if (kestrel.HasExited || edge is { HasExited: true })
            {
                throw new InvalidOperationException(kestrel.HasExited
                    ? $"The baseline exited with {kestrel.ExitCode}." : $"The baseline's edge exited with {edge!.ExitCode}.");
            }
            try
            {
                using var response = await client.GetAsync(url + PlaintextPath, timeout.Token);
                response.EnsureSuccessStatusCode();
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), timeout.Token);
            }
        }
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
