namespace Shop.Tests.Infrastructure;

/// <summary>Writes every resource's console output to a file, so a failed boot can be diagnosed after the fact.</summary>
public static class ResourceLogFiles
{
    public static string Capture(DistributedApplication app, string folder)
    {
        Directory.CreateDirectory(folder);
        var loggers = app.Services.GetRequiredService<ResourceLoggerService>();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        foreach (var resource in model.Resources)
        {
            var file = Path.Combine(folder, $"{resource.Name}.log");
            File.WriteAllText(file, "");
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in loggers.WatchAsync(resource))
                    {
                        await File.AppendAllLinesAsync(file, batch.Select(line => line.Content));
                    }
                }
                catch (Exception e)
                {
                    await File.AppendAllTextAsync(file, $"[log capture failed: {e}]");
                }
            });
        }
        return folder;
    }

    /// <summary>The last lines of every non-empty log, for a failure message that explains itself in CI.</summary>
    public static string Tails(string folder, int lines = 15) => string.Join(Environment.NewLine,
        Directory.GetFiles(folder, "*.log")
            .Where(file => new FileInfo(file).Length > 0)
            .Order()
            .Select(file => $"--- {Path.GetFileName(file)}{Environment.NewLine}{string.Join(Environment.NewLine, File.ReadLines(file).TakeLast(lines))}"));
}
