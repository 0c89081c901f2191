using System.ComponentModel.DataAnnotations;
using System.Net;
using Shop.Api.Orders;
using Shop.ServiceDefaults.Security;

namespace Shop.UnitTests.ServiceDefaults;

public sealed class AddressRangesTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.1.2.3", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("10.244.0.0/16", "10.244.7.9", true)]
    [InlineData("10.244.0.0/16", "10.245.0.1", false)]
    [InlineData("127.0.0.1", "127.0.0.1", true)]
    [InlineData("127.0.0.1", "127.0.0.2", false)]
    [InlineData(" 192.168.1.5 ", "192.168.1.5", true)]
    [InlineData("10.0.0.0/8", "::ffff:10.9.8.7", true)] // an IPv4 client on a dual-stack socket
    [InlineData("127.0.0.1", "::ffff:127.0.0.1", true)]
    [InlineData("fd00::/8", "fd12:3456::1", true)]
    [InlineData("fd00::/8", "fe80::1", false)]
    [InlineData("::1", "::1", true)]
    [InlineData("10.0.0.0/8", "fd00::a00:1", false)]
    [InlineData("0.0.0.0/0", "203.0.113.9", true)]
    public void An_entry_is_an_address_or_a_network_and_matches_the_addresses_in_it(string entry, string address, bool contained)
    {
        Assert.True(AddressRanges.TryParse(entry, out var network));
        Assert.Equal(contained, AddressRanges.Contains([network], IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("example.com")]
    [InlineData("10.0.0.1/8")] // not the network's first address: a typo, not silently widened
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.300")]
    [InlineData("10.1")]
    [InlineData("167772161")]
    [InlineData("10.0.0.0/")]
    [InlineData("fd00::1/8")]
    public void Anything_else_is_refused(string entry) => Assert.False(AddressRanges.TryParse(entry, out _));

    [Fact]
    public void The_order_limit_exempts_the_storefront_by_address_or_by_its_pod_network()
    {
        var options = new OrderOptions { RateLimitExempt = ["127.0.0.1", "10.244.0.0/16"] };

        Assert.True(options.IsExempt(IPAddress.Parse("127.0.0.1")));
        Assert.True(options.IsExempt(IPAddress.Parse("10.244.3.17")));
        Assert.True(options.IsExempt(IPAddress.Parse("::ffff:10.244.3.17")));
        Assert.False(options.IsExempt(IPAddress.Parse("10.245.3.17")));
        Assert.False(options.IsExempt(IPAddress.Parse("127.0.0.2")));
        Assert.False(options.IsExempt(null));
        Assert.False(new OrderOptions().IsExempt(IPAddress.Loopback));
    }

    [Fact]
    public void A_bad_exemption_is_refused_naming_its_key()
    {
        var options = new OrderOptions { RateLimitExempt = ["127.0.0.1", "10.244.0.1/16"] };
        var errors = new List<ValidationResult>();

        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true));

        var error = Assert.Single(errors);
        Assert.Contains("Orders:RateLimitExempt:1", error.ErrorMessage);
        Assert.Contains("10.244.0.1/16", error.ErrorMessage);
    }
}
