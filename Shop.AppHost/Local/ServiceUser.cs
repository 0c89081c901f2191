namespace Shop.AppHost.Local;

/// <summary>
/// Runs a server binary as its Debian service user when the AppHost runs as root. <c>setpriv</c> replaces
/// itself with the server (no wrapper process in between), so the orchestrator's stop signal reaches the server.
/// </summary>
public sealed record ServiceUser(string Name)
{
    public const string Setpriv = "/usr/bin/setpriv";

    public (string Command, string[] Arguments) Command(string binary, params string[] arguments) =>
        LocalProcessExtensions.RunningAsRoot
            ? (Setpriv, [$"--reuid={Name}", $"--regid={Name}", "--init-groups", "--", binary, .. arguments])
            : (binary, arguments);

    public Task RunAsync(string binary, params string[] arguments)
    {
        var (command, args) = Command(binary, arguments);
        return LocalProcessExtensions.RunAsync(command, args);
    }
}
