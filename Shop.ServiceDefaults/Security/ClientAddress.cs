using System.Net;
using System.Net.Sockets;

namespace Shop.ServiceDefaults.Security;

/// <summary>
/// The client a per-client limit counts: an IPv4 address, or the /64 network of an IPv6 address. One IPv6 subscriber
/// is handed a whole /64 (2^64 addresses), so counting single IPv6 addresses would give every such client unlimited
/// fresh counts — and unlimited fresh counter keys.
/// </summary>
public static class ClientAddress
{
    public static string Partition(IPAddress? address)
    {
        address ??= IPAddress.None;
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return $"{new IPAddress(bytes)}/64";
    }

    public static string Partition(Microsoft.AspNetCore.Http.HttpContext context) => Partition(context.Connection.RemoteIpAddress);

    /// <summary>The client's own address as the edge forwarded it (<c>UseForwardedHeaders</c>), an IPv4 one unwrapped from IPv6.</summary>
    public static string Of(Microsoft.AspNetCore.Http.HttpContext context) =>
        context.Connection.RemoteIpAddress is { } remote ? (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote).ToString() : "unknown";
}
