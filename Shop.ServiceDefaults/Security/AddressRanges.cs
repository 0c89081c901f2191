using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Shop.ServiceDefaults.Security;

/// <summary>
/// Address lists in configuration (trusted proxies, rate-limit exemptions): each entry one address (<c>10.1.2.3</c>,
/// <c>::1</c>) or a CIDR network (<c>10.0.0.0/8</c>, <c>fd00::/8</c>), so a list can name a pod network as well as one host.
/// </summary>
public static partial class AddressRanges
{
    /// <summary>A network whose address has bits beyond its prefix (<c>10.1.2.3/8</c>) is refused, not silently widened.</summary>
    public static bool TryParse(string? entry, out IPNetwork network)
    {
        network = default;
        var text = entry?.Trim() ?? "";
        var slash = text.IndexOf('/');
        var address = slash < 0 ? text : text[..slash];
        // IPAddress.Parse also takes "10.1" and "167772161"; only the usual dotted quad and IPv6 forms are meant.
        if (!address.Contains(':') && !DottedQuad().IsMatch(address))
        {
            return false;
        }
        if (slash >= 0)
        {
            // .NET 10 clears the bits beyond the prefix itself; an entry that had some set is refused here instead.
            return IPNetwork.TryParse(text, out network) && IPAddress.TryParse(address, out var written) && network.BaseAddress.Equals(written);
        }
        if (!IPAddress.TryParse(address, out var single))
        {
            return false;
        }
        single = Normalize(single);
        network = new IPNetwork(single, single.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }

    public static IPNetwork Parse(string entry) =>
        TryParse(entry, out var network) ? network : throw new FormatException($"'{entry}' is not an address or a CIDR network.");

    /// <summary>Whether the address is in any of the networks; an IPv4 address the socket reports as IPv6 counts as IPv4.</summary>
    public static bool Contains(IEnumerable<IPNetwork> networks, IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }
        address = Normalize(address);
        return networks.Any(n => n.Contains(address));
    }

    /// <summary>One error per bad entry, naming its configuration key (<c>Section:Key:index</c>) and what would be right.</summary>
    public static IEnumerable<ValidationResult> Validate(IReadOnlyList<string>? entries, string key, string member)
    {
        for (var i = 0; i < (entries?.Count ?? 0); i++)
        {
            if (!TryParse(entries![i], out _))
            {
                yield return new ValidationResult(
                    $"{key}:{i} is '{entries[i]}', which is not an IP address or a CIDR network such as 10.0.0.0/8 (the address part must be the network's first address).",
                    [member]);
            }
        }
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    [GeneratedRegex(@"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$", RegexOptions.CultureInvariant)]
    private static partial Regex DottedQuad();
}
