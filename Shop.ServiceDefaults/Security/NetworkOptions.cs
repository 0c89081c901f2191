using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Shop.ServiceDefaults.Security;

/// <summary>Where a service runs in the network: <c>Shop:Network</c>, the same for every service behind the edge.</summary>
public sealed class NetworkOptions : IValidatableObject
{
    public const string SectionName = "Shop:Network";

    /// <summary>
    /// The proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> a service believes: addresses or CIDR
    /// networks (a cluster's gateway pods, <c>10.0.0.0/8</c>). Empty: loopback only, the edge on the same machine.
    /// List only proxies: a client inside a listed network could name any address it likes.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];

    public static IReadOnlyList<IPNetwork> Loopback { get; } = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")];

    public IReadOnlyList<IPNetwork> TrustedProxyNetworks() =>
        TrustedProxies.Length == 0 ? Loopback : [.. TrustedProxies.Select(AddressRanges.Parse)];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        AddressRanges.Validate(TrustedProxies, $"{SectionName}:{nameof(TrustedProxies)}", nameof(TrustedProxies));
}
