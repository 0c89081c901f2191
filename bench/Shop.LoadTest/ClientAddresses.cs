using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Shop.LoadTest;

/// <summary>
/// The shoppers' HTTP connections. Each shopper is a browser with connections of its own (up to
/// <see cref="MaxConnectionsPerBrowser"/>, as browsers cap them per host), all in one handler: a request goes to
/// <c>s&lt;shopper&gt;.shopper</c>, which gives every shopper its own connection pool, and the connect callback
/// dials the edge from the shopper's address in the <see cref="AddressPlan"/> — against a loopback target a
/// 127.x.y.z of its own (all of 127/8 is this machine), so the edge sees, and rate-limits, the crowd's addresses.
/// So no shopper ever queues behind another's requests inside the generator. A waiting shopper's polls of the sale's
/// shared queue resource (no cookie, the same answer for everyone) go over the crowd's shared pool instead
/// (<see cref="Crowd"/>); what little queueing for a connection remains is measured apart (<see cref="Recorder.ClientQueued"/>).
/// </summary>
public sealed class ClientAddresses : IDisposable
{
    public const int MaxConnectionsPerBrowser = 6;
    // Linux's IP_BIND_ADDRESS_NO_PORT (linux/in.h), at level SOL_IP.
    private const int SolIp = 0, IpBindAddressNoPort = 24;
    private const string ShopperHostSuffix = ".shopper";

    private readonly Uri target;
    private readonly AddressPlan plan;
    private readonly string scheme;

    public ClientAddresses(Uri target, AddressPlan plan, int crowdConnections)
    {
        Sockets = SocketBudget.ForThisProcess(crowdConnections);
        this.target = target;
        this.plan = plan;
        scheme = target.Scheme;
        var loopback = target.IsLoopback;
        Browsers = new HttpClient(new SocketsHttpHandler
        {
            UseCookies = false, // each shopper carries its own cookies (see CookieJar)
            MaxConnectionsPerServer = MaxConnectionsPerBrowser,
            AllowAutoRedirect = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(15),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = (context, cancellationToken) =>
                ConnectAsync(loopback ? Address(plan.AddressOf(ShopperOf(context.DnsEndPoint.Host))) : null, target, cancellationToken),
        }, disposeHandler: true) { Timeout = TimeSpan.FromSeconds(30) };
        Joins = new HttpClient(new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = (context, cancellationToken) =>
                ConnectAsync(loopback && context.InitialRequestMessage.Options.TryGetValue(ShopperOption, out var shopper) ? Address(plan.AddressOf(shopper)) : null,
                    target, cancellationToken),
        }, disposeHandler: true) { Timeout = TimeSpan.FromSeconds(30) };
        Crowd = new HttpClient(new SocketsHttpHandler
        {
            UseCookies = false,
            MaxConnectionsPerServer = crowdConnections,
            AllowAutoRedirect = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = (_, cancellationToken) => ConnectAsync(loopback ? IPAddress.Loopback : null, target, cancellationToken),
        }, disposeHandler: true) { BaseAddress = target, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>How many of the browsers' requests may be under way at once: each holds a socket, a file of this process.</summary>
    public SocketBudget Sockets { get; }

    /// <summary>Every shopper's own connections; address a request with <see cref="For"/>.</summary>
    public HttpClient Browsers { get; }

    /// <summary>
    /// Joins: each on a connection of its own from its shopper's address (<see cref="ForShopper"/>), closed after the
    /// answer (a join sends Connection: close), so no connection is ever shared and no shopper needs a pool of its own:
    /// 250,000 joining shoppers would otherwise leave 250,000 pools behind.
    /// </summary>
    public HttpClient Joins { get; }

    /// <summary>Marks <paramref name="request"/> as <paramref name="shopper"/>'s, for <see cref="Joins"/>' choice of address.</summary>
    public static void ForShopper(HttpRequestMessage request, int shopper) => request.Options.Set(ShopperOption, shopper);

    private static readonly HttpRequestOptionsKey<int> ShopperOption = new("shop.loadtest.shopper");

    /// <summary>The waiting crowd's shared connections to the edge, for the cacheable queue resource.</summary>
    public HttpClient Crowd { get; }

    /// <summary>The target's authority, for the Host header of a request sent through <see cref="Browsers"/>.</summary>
    public string Host => target.Authority;

    public Uri Target => target;

    /// <summary><paramref name="path"/> on the edge as <paramref name="shopper"/>'s browser reaches it.</summary>
    public Uri For(int shopper, string path) => new($"{scheme}://s{shopper.ToString(CultureInfo.InvariantCulture)}{ShopperHostSuffix}:{target.Port}/{path.TrimStart('/')}");

    public int AddressOf(int shopper) => plan.AddressOf(shopper);

    private static int ShopperOf(string host) =>
        int.Parse(host.AsSpan(1, host.Length - 1 - ShopperHostSuffix.Length), NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>127.x.y.z for address <paramref name="index"/>: never 127.0.0.0/16 (the machine's own), never .0 or .255.</summary>
    public static IPAddress Address(int index) =>
        new([127, (byte)(1 + index / (250 * 250)), (byte)(index / 250 % 250), (byte)(index % 250 + 1)]);

    /// <summary>A handler whose connections come from <paramref name="source"/> (any address when null) to loopback port <paramref name="port"/>.</summary>
    public static SocketsHttpHandler Handler(IPAddress? source, int port) => new()
    {
        UseCookies = false,
        MaxConnectionsPerServer = MaxConnectionsPerBrowser,
        AllowAutoRedirect = false,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ConnectCallback = source is null ? null : (_, cancellationToken) => ConnectAsync(source, new Uri($"http://127.0.0.1:{port}/"), cancellationToken),
    };

    /// <summary>A connection to the target, from <paramref name="source"/> when given (the target then is this machine).</summary>
    private static async ValueTask<Stream> ConnectAsync(IPAddress? source, Uri target, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                // The port is chosen at connect, by the whole 4-tuple: bind() choosing it alone searches the ports in
                // use, and with a crowd's closed connections in TIME_WAIT that search took a core of its own.
                socket.SetRawSocketOption(SolIp, IpBindAddressNoPort, BitConverter.GetBytes(1));
                socket.Bind(new IPEndPoint(source, 0));
                // "localhost" may resolve to ::1 first, which a 127.x.y.z socket cannot reach.
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, target.Port), cancellationToken);
            }
            else
            {
                await socket.ConnectAsync(new DnsEndPoint(target.Host, target.Port), cancellationToken);
            }
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Browsers.Dispose();
        Joins.Dispose();
        Crowd.Dispose();
        Sockets.Dispose();
    }
}

/// <summary>
/// The browsers' requests under way at once, kept below this process's open-file limit. A crowd arriving faster
/// than the shop answers would otherwise open a socket per waiting request until the limit, and the runtime then
/// fails far from the cause (the first 250,000-shopper run ended in "Out of memory." at 20,000 open files).
/// </summary>
public sealed class SocketBudget(int sockets) : IDisposable
{
    private readonly SemaphoreSlim free = new(sockets, sockets);

    public int Sockets { get; } = sockets;

    /// <summary>The open-file limit less the crowd's connections and a margin for everything else the process opens.</summary>
    public static SocketBudget ForThisProcess(int crowdConnections) => new(Math.Max(256, OpenFileLimit() - crowdConnections - 1024));

    /// <summary>Waits for a socket; the wait, when there was one, is recorded as the generator's own queueing.</summary>
    public async Task<IDisposable> TakeAsync(Recorder recorder, CancellationToken cancellationToken)
    {
        if (!free.Wait(0, CancellationToken.None))
        {
            var waited = Stopwatch.StartNew();
            await free.WaitAsync(cancellationToken);
            recorder.ClientQueued(waited.Elapsed.TotalMilliseconds);
        }
        return new Taken(free);
    }

    /// <summary>The soft RLIMIT_NOFILE from /proc/self/limits; 65,536 where that cannot be read.</summary>
    public static int OpenFileLimit()
    {
        const int unknown = 65_536;
        try
        {
            var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var soft = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            return int.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) ? limit : unknown;
        }
        catch (IOException)
        {
            return unknown;
        }
    }

    public void Dispose() => free.Dispose();

    private sealed class Taken(SemaphoreSlim free) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                free.Release();
            }
        }
    }
}
