using System.Diagnostics;

namespace Shop.Testing;

/// <summary>
/// What a hung .NET process is doing, from <c>dotnet-stack</c> (a local tool in dotnet-tools.json): a test that gives
/// up on a process that stopped answering leaves its thread stacks beside the resource logs.
/// </summary>
public static class ManagedStacks
{
    /// <returns>Where the report was written, or why there is none.</returns>
    public static async Task<string> WriteAsync(int processId, string file)
    {
        try
        {
            var start = new ProcessStartInfo("dotnet", ["dotnet-stack", "report", "-p", processId.ToString()])
            {
                WorkingDirectory = BootedShop.RepositoryRoot,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var tool = Process.Start(start)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var output = tool.StandardOutput.ReadToEndAsync(timeout.Token);
            var errors = tool.StandardError.ReadToEndAsync(timeout.Token);
            await tool.WaitForExitAsync(timeout.Token);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, await output + await errors);
            return tool.ExitCode == 0 ? $"thread stacks in {file}" : $"dotnet-stack exited with {tool.ExitCode}, see {file}";
        }
        catch (Exception e) when (e is OperationCanceledException or System.ComponentModel.Win32Exception or IOException)
        {
            return $"no thread stacks ({e.GetType().Name}: {e.Message})";
        }
    }
}
