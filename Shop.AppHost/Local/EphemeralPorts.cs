using System.Globalization;
using Shop.AppHost.Infrastructure;

namespace Shop.AppHost.Local;

/// <summary>
/// Keeps the kernel from giving the shop's listening ports to outgoing connections. A port inside
/// <c>ip_local_port_range</c> can be any client socket's source port; while one holds it, a server restarted on it
/// (Postgres after an outage, an API instance) fails to bind and stays down. The shop's own defaults (55432, 56379, …)
/// lie in Linux's default range, and some machines widen the range over the test shop's ports as well.
/// </summary>
public static class EphemeralPorts
{
    private const string RangeFile = "/proc/sys/net/ipv4/ip_local_port_range";
    private const string ReservedFile = "/proc/sys/net/ipv4/ip_local_reserved_ports";

    /// <summary>
    /// Adds the ports of <paramref name="settings"/> that lie in the ephemeral range to the kernel's reserved ports
    /// (root only; the reservation lasts until reboot, and other reservations are kept). Without root, says which
    /// ports are exposed and how to reserve them.
    /// </summary>
    public static void Reserve(ShopSettings settings)
    {
        if (!File.Exists(RangeFile) || !File.Exists(ReservedFile))
        {
            return;
        }
        var reserved = ParseList(File.ReadAllText(ReservedFile));
        var exposed = Exposed(settings.Ports.Listening(settings.ApiReplicas), ParseRange(File.ReadAllText(RangeFile)), reserved);
        if (exposed.Count == 0)
        {
            return;
        }
        var merged = FormatList(reserved.Concat(exposed));
        try
        {
            if (!LocalProcessExtensions.RunningAsRoot)
            {
                throw new UnauthorizedAccessException("not root");
            }
            File.WriteAllText(ReservedFile, merged);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            Console.Error.WriteLine(
                $"warning: ports {FormatList(exposed)} lie in this machine's ephemeral port range and are not reserved ({e.Message}); " +
                "a server restarted on one of them can find it taken by an outgoing connection. Reserve them once as root: " +
                $"sysctl -w net.ipv4.ip_local_reserved_ports={merged}");
        }
    }

    /// <summary>The ports of <paramref name="ports"/> inside <paramref name="range"/> (inclusive) and not in <paramref name="reserved"/>.</summary>
    public static IReadOnlyList<int> Exposed(IEnumerable<int> ports, (int First, int Last) range, IReadOnlySet<int> reserved) =>
        [.. ports.Where(p => p >= range.First && p <= range.Last && !reserved.Contains(p)).Distinct().Order()];

    /// <summary>The two numbers of <c>ip_local_port_range</c> ("32768	60999").</summary>
    public static (int First, int Last) ParseRange(string text)
    {
        var numbers = text.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray();
        return (numbers[0], numbers[1]);
    }

    /// <summary>A kernel port list ("8080,55432-55433"), as a set of ports.</summary>
    public static IReadOnlySet<int> ParseList(string text)
    {
        var ports = new HashSet<int>();
        foreach (var item in text.Split((char[])[',', '\n', ' '], StringSplitOptions.RemoveEmptyEntries))
        {
            var bounds = item.Split('-');
            var first = int.Parse(bounds[0], CultureInfo.InvariantCulture);
            var last = bounds.Length == 2 ? int.Parse(bounds[1], CultureInfo.InvariantCulture) : first;
            ports.UnionWith(Enumerable.Range(first, last - first + 1));
        }
        return ports;
    }

    /// <summary>Ports as the kernel writes its lists: ascending, neighbours joined into ranges ("8080,55432-55433").</summary>
    public static string FormatList(IEnumerable<int> ports)
    {
        var runs = new List<string>();
        int? first = null, last = null;
        foreach (var port in ports.Distinct().Order())
        {
            if (last == port - 1)
            {
                last = port;
                continue;
            }
            if (first is not null)
            {
                runs.Add(first == last ? $"{first}" : $"{first}-{last}");
            }
            first = last = port;
        }
        if (first is not null)
        {
            runs.Add(first == last ? $"{first}" : $"{first}-{last}");
        }
        return string.Join(',', runs);
    }
}
