using System.Runtime.InteropServices;
using System.Text;

namespace Shop.AppHost.Local;

/// <summary>
/// The local servers' data and secrets are their own user's alone (files 0600, folders 0700): a password in a config
/// file, an append-only file full of sessions or a broker's user list is nobody else's business on a shared machine.
/// </summary>
public static class PrivateFiles
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const uint OwnerOnlyUmask = 0b000_111_111; // 077

    /// <summary>
    /// Everything the AppHost and the processes it starts create from now on is private to its owner: the servers'
    /// own files (Redis's append-only file, RabbitMQ's database, Azurite's blobs, nginx's cache) as much as ours.
    /// The orchestrator starts every process after this, and a child inherits its parent's umask.
    /// </summary>
    public static void RestrictNewFiles()
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = SetUmask(OwnerOnlyUmask);
        }
    }

    /// <summary>Writes a file that only its owner may read, whatever mode an older copy had; it is never readable by others, not even for a moment.</summary>
    public static async Task WriteAsync(string path, string contents, CancellationToken cancellationToken)
    {
        await using var stream = Create(path);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(contents), cancellationToken);
    }

    /// <inheritdoc cref="WriteAsync"/>
    public static void Write(string path, string contents)
    {
        using var stream = Create(path);
        stream.Write(Encoding.UTF8.GetBytes(contents));
    }

    private static FileStream Create(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write);
        }
        if (File.Exists(path))
        {
            File.SetUnixFileMode(path, OwnerOnly);
        }
        return new FileStream(path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = OwnerOnly });
    }

    /// <summary>
    /// Creates a folder and takes group and world access away from it and everything in it: a data folder made by an
    /// older version of the shop (files 0644) becomes private on its next start.
    /// </summary>
    public static async Task MakePrivateAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
        {
            await LocalProcessExtensions.RunAsync("chmod", "-R", "go-rwx", directory);
        }
    }

    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint SetUmask(uint mask);
}
