namespace Shop.Testing;

/// <summary>Writes every resource's console output to a file, so a failed boot can be diagnosed after the fact.</summary>
public static class ResourceLogFiles
{
    /// <remarks>
    /// Logs are kept under the orchestrator's instance id ("api-1-x7ab2c"), which exists only once the resource is
    /// created, so each instance is watched when its first state change names it, not up front.
    /// </remarks>
    public static string Capture(DistributedApplication app, string folder)
    {
        Directory.CreateDirectory(folder);
        var loggers = app.Services.GetRequiredService<ResourceLoggerService>();
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        foreach (var resource in app.Services.GetRequiredService<DistributedApplicationModel>().Resources)
        {
            File.WriteAllText(Path.Combine(folder, $"{resource.Name}.log"), "");
        }
        _ = Task.Run(async () =>
        {
            var watched = new HashSet<string>();
            await foreach (var change in notifications.WatchAsync())
            {
                if (watched.Add(change.ResourceId))
                {
                    _ = AppendAsync(loggers, change.ResourceId, Path.Combine(folder, $"{change.Resource.Name}.log"));
                }
            }
        });
        return folder;
    }

    private static async Task AppendAsync(ResourceLoggerService loggers, string instance, string file)
    {
        try
        {
            await foreach (var batch in loggers.WatchAsync(instance))
            {
                await File.AppendAllLinesAsync(file, batch.Select(line => line.Content));
            }
        }
        catch (Exception e)
        {
            await File.AppendAllTextAsync(file, $"[log capture failed: {e}]");
        }
    }

    /// <summary>The last lines of every non-empty log, for a failure message that explains itself in CI.</summary>
    public static string Tails(string folder, int lines = 15) => string.Join(Environment.NewLine,
        Directory.GetFiles(folder, "*.log")
            .Where(file => new FileInfo(file).Length > 0)
            .Order()
            .Select(file => $"--- {Path.GetFileName(file)}{Environment.NewLine}{string.Join(Environment.NewLine, File.ReadLines(file).TakeLast(lines))}"));
}
