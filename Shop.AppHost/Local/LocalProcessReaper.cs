using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Shop.AppHost.Local;

/// <summary>
/// Ends every process that carries this shop's process tag. The orchestrator stops the processes it started,
/// but not what they left behind: RabbitMQ's epmd daemonizes itself, and a killed AppHost can strand a server.
/// Runs before start (a crashed run must not block our ports) and after stop.
/// </summary>
public static partial class LocalProcessReaper
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    /// <summary>Tags every process of the application with the data folder, and reaps tagged leftovers before start and after stop.</summary>
    public static void ReapLeftovers(this IDistributedApplicationBuilder builder, string dataDirectory)
    {
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            foreach (var resource in e.Model.Resources.OfType<IResourceWithEnvironment>())
            {
                resource.Annotations.Add(new EnvironmentCallbackAnnotation(
                    context => context.EnvironmentVariables[LocalProcessExtensions.ProcessTagVariable] = dataDirectory));
            }
            KillTagged(dataDirectory);
            e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() => KillTagged(dataDirectory));
            return Task.CompletedTask;
        });
    }

    public static IReadOnlyList<int> FindTagged(string dataDirectory)
    {
        var tag = Encoding.UTF8.GetBytes($"{LocalProcessExtensions.ProcessTagVariable}={dataDirectory}\0");
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                if (File.ReadAllBytes(Path.Combine(entry, "environ")).AsSpan().IndexOf(tag) >= 0)
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited meanwhile, or not ours to read.
            }
        }
        return found;
    }

    public static void KillTagged(string dataDirectory)
    {
        var survivors = Signal(FindTagged(dataDirectory), kill: false);
        var deadline = Stopwatch.StartNew();
        while (survivors.Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(200);
            survivors = [.. survivors.Where(IsAlive)];
        }
        Signal(survivors, kill: true);
    }

    private static List<int> Signal(IEnumerable<int> pids, bool kill) =>
        [.. pids.Where(pid => SendSignal(pid, kill ? SigKill : SigTerm) == 0)];

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ");
        }
        catch (Exception e) when (e is ArgumentException or IOException)
        {
            return false;
        }
    }
}
