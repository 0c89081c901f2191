namespace Shop.Bench;

public static class Repository
{
    /// <summary>The folder that holds Shop.sln, found above the runner's binaries.</summary>
    public static string Root { get; } = FindRoot(new DirectoryInfo(AppContext.BaseDirectory));

    private static string FindRoot(DirectoryInfo? folder) =>
        folder is null ? throw new InvalidOperationException("Shop.sln not found above the benchmark runner.")
        : File.Exists(Path.Combine(folder.FullName, "Shop.sln")) ? folder.FullName
        : FindRoot(folder.Parent);
}
