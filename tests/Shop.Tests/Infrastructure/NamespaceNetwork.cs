using System.Diagnostics;
using System.Net;
using Shop.AppHost.Local;

namespace Shop.Tests.Infrastructure;

/// <summary>A Linux network namespace on a <see cref="NamespaceNetwork"/>: a host of its own, as far as the network can tell.</summary>
public sealed record NamespaceHost(string Namespace, IPAddress Address);

/// <summary>
/// Hosts of their own on this machine: a bridge in this network namespace with an address of its own (the
/// <see cref="Gateway"/>), and Linux network namespaces on it, each joined by a veth pair and given its own
/// address. Needs root and iproute2's <c>ip</c>. Loopback is each namespace's own: what the hosts need from this
/// machine's loopback is shared with them on the gateway (<see cref="ShareLoopbackPort"/>). Every name starts with a
/// prefix made of the test shop's port offset, so a run first removes whatever a crashed run of the same checkout left
/// behind, and never touches another checkout's. Disposing stops the processes started in the namespaces and the
/// shared ports, and removes the namespaces and the bridge.
/// </summary>
public sealed class NamespaceNetwork : IAsyncDisposable
{
    private const int PrefixLength = 24;

    private readonly string prefix;
    private readonly List<NamespacedProcess> processes = [];
    private readonly List<TcpRelay> relays = [];

    private NamespaceNetwork(string prefix, string subnet, int hosts)
    {
        this.prefix = prefix;
        Bridge = $"{prefix}br";
        Gateway = IPAddress.Parse($"{subnet}.1");
        Outsider = IPAddress.Parse($"{subnet}.254");
        Hosts = [.. Enumerable.Range(1, hosts).Select(i => new NamespaceHost($"{prefix}host{i}", IPAddress.Parse($"{subnet}.{1 + i}")))];
    }

    /// <summary>The bridge's name in this namespace.</summary>
    public string Bridge { get; }

    /// <summary>This machine on the network: what the hosts reach it at, and where its connections to them come from.</summary>
    public IPAddress Gateway { get; }

    /// <summary>A second address of this machine on the network, for a call that must not come from <see cref="Gateway"/>.</summary>
    public IPAddress Outsider { get; }

    public IReadOnlyList<NamespaceHost> Hosts { get; }

    /// <param name="offset">The test shop's port offset: it names the network and picks its subnet (198.18.0.0/15 is split into /24s).</param>
    public static async Task<NamespaceNetwork> CreateAsync(int offset, int hosts)
    {
        Assert.True(LocalProcessExtensions.RunningAsRoot, "Network namespaces need root: run the tests as root, as the shop's machines do.");
        var prefix = $"shop{(offset < 0 ? $"m{-offset}" : offset.ToString(System.Globalization.CultureInfo.InvariantCulture))}-";
        await RemoveAsync(prefix);
        // From 198.18.0.0/15, the range set aside for network tests (RFC 2544): a machine's own network is not there,
        // whereas a 10.x subnet could take over the route to a cloud machine's gateway while the test runs.
        var n = (offset % 512 + 512) % 512;
        var subnet = $"198.{18 + (n >> 8)}.{n & 255}";
        var inUse = (await IpAsync("-4", "-o", "addr", "show") + await IpAsync("-4", "route", "show")).Split('\n')
            .FirstOrDefault(line => line.Contains($" {subnet}.", StringComparison.Ordinal) || line.StartsWith($"{subnet}.", StringComparison.Ordinal));
        Assert.True(inUse is null, $"The namespaces' subnet {subnet}.0/{PrefixLength} is already in use on this machine: {inUse}");

        var network = new NamespaceNetwork(prefix, subnet, hosts);
        try
        {
            await IpAsync("link", "add", network.Bridge, "type", "bridge");
            await IpAsync("addr", "add", $"{network.Gateway}/{PrefixLength}", "dev", network.Bridge);
            await IpAsync("addr", "add", $"{network.Outsider}/{PrefixLength}", "dev", network.Bridge);
            await IpAsync("link", "set", network.Bridge, "up");
            for (var i = 0; i < network.Hosts.Count; i++)
            {
                var host = network.Hosts[i];
                var veth = $"{prefix}v{i + 1}";
                await network.WriteNameFilesAsync(host);
                await IpAsync("netns", "add", host.Namespace);
                await IpAsync("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", host.Namespace);
                await IpAsync("link", "set", veth, "master", network.Bridge, "up");
                await IpAsync("-n", host.Namespace, "addr", "add", $"{host.Address}/{PrefixLength}", "dev", "eth0");
                await IpAsync("-n", host.Namespace, "link", "set", "lo", "up");
                // No default route: everything a host talks to is on the network, and anything beyond fails at once.
                await IpAsync("-n", host.Namespace, "link", "set", "eth0", "up");
            }
            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The names a host resolves, from files <c>ip netns exec</c> puts in place of /etc/hosts and /etc/resolv.conf. This
    /// machine's resolver is not reachable from the network (nothing routes beyond the gateway), and a lookup sent
    /// towards it waited seconds for nothing: Npgsql's Kerberos probe of every new connection looks the server's
    /// address up, and each connect timed out. With the network's own names in the hosts file and a resolver that
    /// refuses at once, every lookup is answered or refused immediately.
    /// </summary>
    private async Task WriteNameFilesAsync(NamespaceHost host)
    {
        var folder = Directory.CreateDirectory(Path.Combine(NetnsEtc, host.Namespace)).FullName;
        await File.WriteAllLinesAsync(Path.Combine(folder, "hosts"),
            ["127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback", $"{Gateway} {prefix}gateway", .. Hosts.Select(h => $"{h.Address} {h.Namespace}")]);
        await File.WriteAllLinesAsync(Path.Combine(folder, "resolv.conf"), ["nameserver 127.0.0.1", "options timeout:1 attempts:1"]);
    }

    /// <summary>Where <c>ip netns exec</c> finds a namespace's own /etc files.</summary>
    private const string NetnsEtc = "/etc/netns";

    /// <summary>
    /// Makes what listens on this machine's loopback port <paramref name="port"/> reachable from the hosts at
    /// <see cref="Gateway"/>, the same port (a <see cref="TcpRelay"/>: loopback is each namespace's own).
    /// </summary>
    public void ShareLoopbackPort(int port) =>
        relays.Add(TcpRelay.Start(new IPEndPoint(Gateway, port), new IPEndPoint(IPAddress.Loopback, port)));

    /// <summary>
    /// Runs <paramref name="command"/> inside <paramref name="host"/>'s namespace with exactly <paramref name="environment"/>,
    /// its output going to <paramref name="logFile"/>.
    /// </summary>
    public NamespacedProcess Start(NamespaceHost host, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment,
        string workingDirectory, string logFile)
    {
        var start = new ProcessStartInfo(IpCommand)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "netns", "exec", host.Namespace }.Concat(command))
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        var process = NamespacedProcess.Start(start, logFile);
        processes.Add(process);
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in processes)
        {
            await process.DisposeAsync();
        }
        foreach (var relay in relays)
        {
            await relay.DisposeAsync();
        }
        await RemoveAsync(prefix);
    }

    /// <summary>Every namespace (its processes first) and link whose name starts with <paramref name="prefix"/>.</summary>
    private static async Task RemoveAsync(string prefix)
    {
        var namespaces = (await IpAsync("netns", "list")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[0]).Where(name => name.StartsWith(prefix, StringComparison.Ordinal));
        foreach (var name in namespaces)
        {
            // A namespace lives on while a process is in it; deleting the name alone would leave its addresses behind.
            await Poll.UntilAsync(async () =>
            {
                var pids = (await IpAsync("netns", "pids", name)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
                foreach (var pid in pids)
                {
                    try
                    {
                        using var leftover = Process.GetProcessById(pid);
                        leftover.Kill(entireProcessTree: true);
                    }
                    catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                    {
                        // Gone already.
                    }
                }
                return pids.Count == 0;
            }, $"the processes in network namespace {name} to end", TimeSpan.FromSeconds(30));
            await IpAsync("netns", "delete", name);
        }
        if (Directory.Exists(NetnsEtc))
        {
            foreach (var folder in Directory.EnumerateDirectories(NetnsEtc, $"{prefix}*"))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        // A veth goes with its peer's namespace; what is left is the bridge, or a veth whose namespace was never made.
        var links = (await IpAsync("-o", "link", "show")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(": ")[1].Split('@')[0]).Where(name => name.StartsWith(prefix, StringComparison.Ordinal));
        foreach (var link in links)
        {
            try
            {
                await IpAsync("link", "delete", link);
            }
            catch (InvalidOperationException e) when (e.Message.Contains("Cannot find device", StringComparison.Ordinal))
            {
                // A veth the kernel was still removing with its namespace when the links were listed.
            }
        }
    }

    /// <summary>iproute2's <c>ip</c>; <c>./shop</c> installs it.</summary>
    private static string IpCommand =>
        new[] { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("iproute2's ip command is not installed (apt-get install iproute2; ./shop installs it).");

    private static async Task<string> IpAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(IpCommand) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"'ip {string.Join(' ', arguments)}' exited with {process.ExitCode}: {await error}");
    }
}

/// <summary>A process in a network namespace, its output written to a file; disposing kills it.</summary>
public sealed class NamespacedProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;
    private readonly Queue<string> lastLines = new();
    private readonly Lock gate = new();

    private NamespacedProcess(Process process, string logFile)
    {
        this.process = process;
        LogFile = logFile;
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        log = new StreamWriter(logFile, append: false) { AutoFlush = true };
    }

    public string LogFile { get; }

    public bool HasExited => process.HasExited;

    internal static NamespacedProcess Start(ProcessStartInfo start, string logFile)
    {
        var process = new Process { StartInfo = start };
        var started = new NamespacedProcess(process, logFile);
        process.OutputDataReceived += (_, e) => started.Write(e.Data);
        process.ErrorDataReceived += (_, e) => started.Write(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>The last lines of its output, for a failure message.</summary>
    public string Tail()
    {
        lock (gate)
        {
            return string.Join(Environment.NewLine, lastLines);
        }
    }

    private void Write(string? line)
    {
        if (line is not null)
        {
            lock (gate)
            {
                log.WriteLine(line);
                lastLines.Enqueue(line);
                if (lastLines.Count > 30)
                {
                    lastLines.Dequeue();
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited already.
        }
        await process.WaitForExitAsync();
        process.Dispose();
        lock (gate)
        {
            log.Dispose();
        }
    }
}
