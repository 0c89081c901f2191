using System.Text;

namespace Shop.Tests.Infrastructure;

/// <summary>Finds the processes of one shop by the data-folder tag the AppHost puts in each one's environment.</summary>
public static class ShopProcesses
{
    public static IReadOnlyList<string> Running(string dataDirectory)
    {
        var tag = Encoding.UTF8.GetBytes($"SHOP_PROCESS_TAG={dataDirectory}\0");
        var found = new List<string>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out _))
            {
                continue;
            }
            try
            {
                if (File.ReadAllBytes(Path.Combine(entry, "environ")).AsSpan().IndexOf(tag) >= 0
                    && !File.ReadAllText(Path.Combine(entry, "stat")).Contains(") Z "))
                {
                    found.Add($"{Path.GetFileName(entry)} {File.ReadAllText(Path.Combine(entry, "cmdline")).Replace('\0', ' ')}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited while we looked.
            }
        }
        return found;
    }
}
