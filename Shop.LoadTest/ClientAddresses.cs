using System.Net;
using System.Net.Sockets;

namespace Shop.LoadTest;

/// <summary>
/// HTTP clients, one per simulated source address. Against a loopback target each client connects from its own
/// 127.1.x.y (all of 127/8 is this machine), so the edge sees — and rate-limits — many households, as on a real sale
/// day; against any other target all clients share this machine's address.
/// </summary>
public sealed class ClientAddresses : IDisposable
{
    public const int MaxConnectionsPerAddress = 6;

    private readonly HttpClient[] clients;

    public ClientAddresses(Uri target, int count)
    {
        var loopback = target.IsLoopback;
        clients = [.. Enumerable.Range(0, count).Select(i => new HttpClient(Handler(loopback ? Address(i) : null, target.Port), disposeHandler: true)
        {
            BaseAddress = target,
            Timeout = TimeSpan.FromSeconds(30),
        })];
    }

    public int Count => clients.Length;

    public HttpClient For(int shopper, int shoppersPerAddress) => clients[shopper / shoppersPerAddress % clients.Length];

    public static IPAddress Address(int index) => new([127, 1, (byte)(index / 250), (byte)(index % 250 + 1)]);

    /// <summary>A handler whose connections come from <paramref name="source"/> (any address when null) to loopback port <paramref name="port"/>.</summary>
    public static SocketsHttpHandler Handler(IPAddress? source, int port) => new()
    {
        UseCookies = false, // each shopper carries its own cookie jar (see Shopper)
        // As a browser caps connections per host: without it 20,000 waiting shoppers held 20,000 sockets, past this
        // process's file limit and the edge's worker_connections, and most joins failed with no answer.
        MaxConnectionsPerServer = MaxConnectionsPerAddress,
        AllowAutoRedirect = false,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ConnectCallback = source is null ? null : async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                // "localhost" may resolve to ::1 first, which a 127.1.x.y socket cannot reach.
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    public void Dispose()
    {
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }
}
