using System.Globalization;
using System.Net;
using Shop.AppHost.Local;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Hardening;

/// <summary>
/// The shop's local processes reach no further than they need to: their data and secrets are their own user's alone,
/// nothing but the edge's public ports listens beyond loopback, and nginx's workers (which parse every request) are not root.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class LocalReachTests(ShopFixture fixture)
{
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>What the tests themselves write into the data folder: resource logs and load-test reports.</summary>
    private static readonly string[] TestFolders = ["logs", "loadtest"];

    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public void Every_file_the_shops_servers_keep_is_readable_by_its_owner_alone()
    {
        // Each holds a secret or the data behind one: the listing below must find them, or it proves nothing.
        string[] secrets =
        [
            "redis/redis.conf", "rabbitmq/definitions.json", "rabbitmq/home/.erlang.cookie", "edge/tls/edge.key",
            "postgres-replica/pgdata/postgresql.auto.conf", "postgres/pgdata/global/pg_control",
        ];
        foreach (var secret in secrets)
        {
            Assert.True(File.Exists(Path.Combine(shop.DataDirectory, secret)), $"{secret} is not where the test looks for it.");
        }
        var appendOnly = Directory.EnumerateFiles(Path.Combine(shop.DataDirectory, "redis"), "*.aof", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(appendOnly);

        var offenders = new List<string>();
        var checkedFiles = 0;
        foreach (var folder in Directory.EnumerateDirectories(shop.DataDirectory).Where(d => !TestFolders.Contains(Path.GetFileName(d))))
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            {
                var info = new FileInfo(file);
                // A Unix socket (Postgres's) is reached through its private folder; a symbolic link has no mode of its own.
                if (info.LinkTarget is not null
                    || (Path.GetFileName(file).StartsWith(".s.PGSQL.", StringComparison.Ordinal) && !file.EndsWith(".lock", StringComparison.Ordinal)))
                {
                    continue;
                }
                checkedFiles++;
                if ((info.UnixFileMode & GroupOrOther) != 0)
                {
                    offenders.Add($"{Path.GetRelativePath(shop.DataDirectory, file)} {Convert.ToString((int)info.UnixFileMode, 8)}");
                }
            }
        }
        Assert.True(offenders.Count == 0,
            $"{offenders.Count} of {checkedFiles} files are open to the group or everyone:{Environment.NewLine}{string.Join(Environment.NewLine, offenders.Take(40))}");
    }

    [Fact]
    public void Every_port_the_shops_processes_listen_on_is_on_loopback_except_the_edges_public_ones()
    {
        int[] publicPorts = [shop.Ports.EdgeHttp, shop.Ports.EdgeHttps, shop.Ports.StaffHttps];
        var listening = ListeningSockets();
        var seen = new List<(int Pid, string Process, IPAddress Address, int Port)>();
        foreach (var pid in ShopProcessIds())
        {
            foreach (var inode in SocketInodes(pid))
            {
                if (listening.TryGetValue(inode, out var endpoint))
                {
                    seen.Add((pid, ProcessName(pid), endpoint.Address, endpoint.Port));
                }
            }
        }

        // The scan sees the servers' sockets: Redis's, the broker's distribution port and epmd among them.
        foreach (var port in new[] { shop.Ports.Redis, shop.Ports.RabbitMQ, shop.Ports.RabbitMQDistribution, shop.Ports.RabbitMQEpmd, shop.Ports.Postgres, shop.Ports.EdgeHttp })
        {
            Assert.True(seen.Any(s => s.Port == port), $"Nothing of the shop listens on {port}: {Describe(seen)}");
        }
        var offenders = seen.Where(s => !IsLoopback(s.Address) && !publicPorts.Contains(s.Port)).ToList();
        Assert.True(offenders.Count == 0, $"Listening beyond loopback: {Describe(offenders)}");
    }

    [Fact]
    public void Nginx_workers_and_the_servers_with_a_service_user_do_not_run_as_root()
    {
        var processes = ShopProcessIds().Select(pid => (Pid: pid, Name: ProcessName(pid), Uids: Uids(pid)))
            .Where(p => p.Uids is not null).ToList();
        var workers = processes.Where(p => p.Name.StartsWith("nginx: worker process", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(workers);
        Assert.All(workers, w => Assert.True(w.Uids!.All(uid => uid != 0), $"nginx worker {w.Pid} runs as uid {string.Join('/', w.Uids!)}"));

        if (Environment.UserName != "root")
        {
            return; // Without root every server runs as the one user there is.
        }
        // The servers a Debian package gives a user of their own run as it, whatever started them.
        foreach (var (prefix, user) in new[] { ("nginx: worker", "www-data"), ("redis-server", "redis"), ("postgres", "postgres"), ("beam.smp", "rabbitmq"), ("epmd", "rabbitmq") })
        {
            var matching = processes.Where(p => p.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            Assert.True(matching.Count > 0, $"No {prefix} process among {string.Join(", ", processes.Select(p => p.Name).Distinct())}");
            var uid = UserId(user);
            Assert.All(matching, p => Assert.True(p.Uids!.All(u => u == uid), $"{p.Name} ({p.Pid}) runs as uid {string.Join('/', p.Uids!)}, not {user} ({uid})"));
        }
    }

    /// <summary>
    /// Every process of the shop: each resource's process tree as the orchestrator reports it, and whatever carries the
    /// shop's tag (epmd leaves its parent). Servers that retitle themselves (nginx, Redis) write over the environment
    /// the tag is read from, so the tag alone misses them.
    /// </summary>
    private IReadOnlyList<int> ShopProcessIds() =>
        [.. shop.Resources.SelectMany(resource => TestShop.ProcessTree(shop.ProcessId(resource)))
            .Concat(LocalProcessReaper.FindTagged(shop.DataDirectory)).Distinct()];

    private static bool IsLoopback(IPAddress address) => IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private static string Describe(IEnumerable<(int Pid, string Process, IPAddress Address, int Port)> sockets) =>
        string.Join("; ", sockets.Select(s => $"{s.Process} ({s.Pid}) on {s.Address}:{s.Port}"));

    /// <summary>Listening TCP sockets of this network namespace by inode, from /proc/net/tcp and tcp6.</summary>
    private static Dictionary<long, IPEndPoint> ListeningSockets()
    {
        var sockets = new Dictionary<long, IPEndPoint>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields[3] != "0A")
                {
                    continue; // not LISTEN
                }
                var local = fields[1].Split(':');
                sockets[long.Parse(fields[9], CultureInfo.InvariantCulture)] =
                    new IPEndPoint(KernelAddress(local[0]), int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }
        return sockets;
    }

    /// <summary>The kernel prints an address as 32-bit words in host (little-endian) order.</summary>
    private static IPAddress KernelAddress(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        for (var word = 0; word < bytes.Length; word += 4)
        {
            Array.Reverse(bytes, word, 4);
        }
        return new IPAddress(bytes);
    }

    private static IEnumerable<long> SocketInodes(int pid)
    {
        var inodes = new List<long>();
        try
        {
            foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(long.Parse(target["socket:[".Length..^1], CultureInfo.InvariantCulture));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Exited while we looked.
        }
        return inodes;
    }

    private static string ProcessName(int pid)
    {
        try
        {
            var command = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            // nginx renames its processes ("nginx: worker process"); everything else is named by its binary.
            return command.Length == 0 ? "?" : command[0].StartsWith("nginx:", StringComparison.Ordinal) ? string.Join(' ', command) : Path.GetFileName(command[0]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }

    /// <summary>Real, effective, saved and file-system user ids; null when the process has gone.</summary>
    private static int[]? Uids(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return [.. line["Uid:".Length..].Split('\t', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return null;
        }
    }

    private static int UserId(string user) =>
        int.Parse(File.ReadLines("/etc/passwd").Select(l => l.Split(':')).Single(f => f[0] == user)[2], CultureInfo.InvariantCulture);
}
