namespace Shop.UnitTests.Deploy;

/// <summary>A project resource of the AppHost and the environment it gives the process (as published, not run).</summary>
public sealed record AppHostService(string Name, IReadOnlyDictionary<string, object> Environment)
{
    /// <summary>The cluster workload that stands for it: <c>api-1</c>…<c>api-N</c> are the one Deployment <c>api</c>.</summary>
    public string Workload => System.Text.RegularExpressions.Regex.Replace(Name, @"-\d+$", "");
}

/// <summary>
/// The AppHost's model, built and inspected but never started (as ContainerModeTests does): the services it declares
/// and the environment variables it hands each one.
/// </summary>
public static class AppHostModel
{
    private static readonly Lazy<Task<IReadOnlyList<AppHostService>>> Services = new(ReadAsync);

    public static Task<IReadOnlyList<AppHostService>> LoadAsync() => Services.Value;

    private static async Task<IReadOnlyList<AppHostService>> ReadAsync()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Shop_AppHost>(
            ["Shop:Infrastructure=Containers"], (options, _) => options.DisableDashboard = true);
        var services = new List<AppHostService>();
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish));
            foreach (var callback in project.Annotations.OfType<EnvironmentCallbackAnnotation>())
            {
                await callback.Callback(context);
            }
            services.Add(new(project.Name, context.EnvironmentVariables.ToDictionary()));
        }
        return services;
    }
}
