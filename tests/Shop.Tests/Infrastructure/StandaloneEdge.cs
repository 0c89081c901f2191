using System.Diagnostics;
using Shop.AppHost.Edge;

namespace Shop.Tests.Infrastructure;

/// <summary>
/// An nginx of its own running the edge's generated config for <see cref="Layout"/> (its upstreams whatever the layout
/// names, usually closed ports), for edge tests that must not disturb the booted shop. Disposing stops it and removes
/// its folder.
/// </summary>
public sealed class StandaloneEdge : IAsyncDisposable
{
    private readonly Process nginx;

    private StandaloneEdge(EdgeLayout layout, Process nginx)
    {
        Layout = layout;
        this.nginx = nginx;
    }

    public EdgeLayout Layout { get; }

    /// <summary>Writes the config into <paramref name="layout"/>'s state folder, starts nginx and waits until <paramref name="ports"/> listen.</summary>
    public static async Task<StandaloneEdge> StartAsync(EdgeLayout layout, params int[] ports)
    {
        var configFile = Path.Combine(layout.StateDirectory, "nginx.conf");
        await EdgeExtensions.PrepareAsync(layout, layout.StateDirectory, configFile);
        var nginx = Process.Start(new ProcessStartInfo("/usr/sbin/nginx", ["-e", "stderr", "-p", layout.StateDirectory, "-c", configFile, "-g", "daemon off;"])
        {
            RedirectStandardError = true,
        })!;
        var edge = new StandaloneEdge(layout, nginx);
        try
        {
            await Poll.UntilAsync(() => nginx.HasExited || ports.All(TestShop.IsListening), "the standalone edge to listen", TimeSpan.FromSeconds(20));
            if (nginx.HasExited)
            {
                Assert.Fail($"nginx exited: {await nginx.StandardError.ReadToEndAsync()}");
            }
            return edge;
        }
        catch
        {
            await edge.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        nginx.Kill(entireProcessTree: true);
        await nginx.WaitForExitAsync();
        nginx.Dispose();
        Directory.Delete(Layout.StateDirectory, recursive: true);
    }
}
