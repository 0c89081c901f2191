using System.Diagnostics;

namespace Shop.AppHost.Local;

public static class LocalProcessExtensions
{
    /// <summary>
    /// Every process the shop starts carries this variable, valued with its data folder. Children inherit it,
    /// including daemons that escape their parent (RabbitMQ's epmd), so <see cref="LocalProcessReaper"/> can find them.
    /// </summary>
    public const string ProcessTagVariable = "SHOP_PROCESS_TAG";

    /// <summary>Root runs servers as their own service users (Postgres refuses root); anyone else runs them as themselves.</summary>
    public static bool RunningAsRoot => Environment.UserName == "root";

    /// <summary>Runs a short set-up command to completion, failing loudly with its output.</summary>
    public static async Task RunAsync(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{fileName} {string.Join(' ', arguments)}' exited with {process.ExitCode}: {await error}{await output}");
        }
    }

    /// <summary>Creates a folder owned by a service user (when running as root), so a server that drops privileges can use it.</summary>
    public static async Task EnsureOwnedDirectoryAsync(string path, string serviceUser)
    {
        Directory.CreateDirectory(path);
        if (RunningAsRoot)
        {
            await RunAsync("chown", "-R", $"{serviceUser}:{serviceUser}", path);
            await GrantTraverseAsync(path, serviceUser);
        }
    }

    /// <summary>
    /// A checkout under a private folder (/root, a mktemp dir) hides the data folder from service users.
    /// Grant them search-only access to each ancestor they cannot pass; nothing becomes listable or readable.
    /// </summary>
    private static async Task GrantTraverseAsync(string path, string serviceUser)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        for (var directory = Path.GetDirectoryName(path); !string.IsNullOrEmpty(directory); directory = Path.GetDirectoryName(directory))
        {
            var mode = File.GetUnixFileMode(directory);
            if (!mode.HasFlag(UnixFileMode.OtherExecute))
            {
                await RunAsync("setfacl", "-m", $"u:{serviceUser}:x", directory);
            }
        }
    }
}
