using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Shop.AppHost.Local;

namespace Shop.Bench;

/// <summary>The floor: Shop.Bench.Baseline's build output, started as a child process on a free loopback port.</summary>
public sealed class Baseline(Process process, string url) : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    public string Url => url;

    /// <param name="processTag">Carried like the shop's own processes carry it, so <c>./shop</c> reaps a baseline this runner left behind.</param>
    public static async Task<Baseline> StartAsync(string processTag, CancellationToken token)
    {
        var url = $"http://127.0.0.1:{FreePort()}/";
        var process = Process.Start(new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Shop.Bench.Baseline.dll"), "--urls", url },
            Environment = { [LocalProcessExtensions.ProcessTagVariable] = processTag },
        }) ?? throw new InvalidOperationException("The baseline did not start.");
        var baseline = new Baseline(process, url);
        try
        {
            await baseline.WaitUntilAnsweringAsync(token);
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
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }

    private async Task WaitUntilAnsweringAsync(CancellationToken token)
    {
        using var client = new HttpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(StartTimeout);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The baseline exited with {process.ExitCode}.");
            }
            try
            {
                using var response = await client.GetAsync(url, timeout.Token);
                response.EnsureSuccessStatusCode();
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), timeout.Token);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
