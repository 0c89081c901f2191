using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Shop.Tests.Infrastructure;

/// <summary>
/// Passes every connection made to one address on to another, byte for byte, until either side closes. The test shop's
/// data services listen on loopback only, which another network namespace cannot reach; a relay on an address the
/// namespace can reach lets its processes in, and the data services still see a loopback client, so their own access
/// rules (Postgres's pg_hba, Redis's protected mode) stay as the shop sets them. Disposing closes the relay's
/// connections too.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly IPEndPoint target;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentDictionary<Task, bool> pipes = new();
    private readonly Task accepting;

    private TcpRelay(IPEndPoint listen, IPEndPoint target)
    {
        this.target = target;
        listener = new TcpListener(listen);
        listener.Start();
        accepting = AcceptAsync();
    }

    public static TcpRelay Start(IPEndPoint listen, IPEndPoint target) => new(listen, target);

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(stop.Token);
            }
            catch (SocketException) when (!stop.IsCancellationRequested)
            {
                // A connection reset before it was accepted: the listener itself still serves.
                continue;
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var pipe = PipeAsync(client);
            pipes[pipe] = true;
            _ = pipe.ContinueWith(done => pipes.TryRemove(done, out _), TaskScheduler.Default);
        }
    }

    private async Task PipeAsync(Socket client)
    {
        using var upstream = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (client)
        {
            client.NoDelay = true;
            try
            {
                await upstream.ConnectAsync(target, stop.Token);
                await using var fromClient = new NetworkStream(client, ownsSocket: false);
                await using var fromTarget = new NetworkStream(upstream, ownsSocket: false);
                var up = fromClient.CopyToAsync(fromTarget, stop.Token);
                var down = fromTarget.CopyToAsync(fromClient, stop.Token);
                // The protocols relayed here never half-close: one side done means the connection is over.
                await Task.WhenAny(up, down);
                client.Shutdown(SocketShutdown.Both);
                upstream.Shutdown(SocketShutdown.Both);
                await Task.WhenAll(up, down);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // The other side went away, or the relay is stopping.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await accepting;
        await Task.WhenAll(pipes.Keys);
        stop.Dispose();
    }
}
