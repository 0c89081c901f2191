using System.ComponentModel.DataAnnotations;
using System.Diagnostics;

namespace Shop.AppHost.Infrastructure;

public static class ShopSettingsExtensions
{
    /// <summary>Reads and validates the <c>Shop</c> section; a bad value stops the AppHost before anything starts.</summary>
    public static ShopSettings GetShopSettings(this IDistributedApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection(ShopSettings.SectionName).Get<ShopSettings>() ?? new ShopSettings();
        Validate(settings);
        Validate(settings.Ports);
        Validate(settings.WaitingRoom);
        Validate(settings.Database);
        Validate(settings.RateLimits);
        Validate(settings.Redis);
        if (settings.Infrastructure == InfrastructureMode.Auto)
        {
            settings.Infrastructure = ContainerRuntimeAnswers() ? InfrastructureMode.Containers : InfrastructureMode.Local;
        }
        return settings;
    }

    public static string RepositoryRoot(this ShopSettings settings, IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));

    /// <summary>An absolute path inside the data folder; with no parts, the data folder itself (no trailing slash).</summary>
    public static string DataPath(this ShopSettings settings, IDistributedApplicationBuilder builder, params string[] parts) =>
        Path.TrimEndingDirectorySeparator(
            Path.Combine([Path.GetFullPath(settings.DataDirectory, settings.RepositoryRoot(builder)), .. parts]));

    private static void Validate(object options)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            throw new InvalidOperationException(
                $"Invalid '{ShopSettings.SectionName}' settings: {string.Join("; ", results.Select(r => r.ErrorMessage))}");
        }
    }

    private static bool ContainerRuntimeAnswers() => Answers("docker") || Answers("podman");

    private static bool Answers(string runtime)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, "info")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null)
            {
                return false;
            }
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // not installed
        }
    }
}
