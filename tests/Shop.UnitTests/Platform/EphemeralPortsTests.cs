using Shop.AppHost.Infrastructure;
using Shop.AppHost.Local;

namespace Shop.UnitTests.Platform;

/// <summary>The shop's listening ports are kept out of the kernel's ephemeral range (see <see cref="EphemeralPorts"/>).</summary>
public sealed class EphemeralPortsTests
{
    [Fact]
    public void Every_port_setting_and_every_api_instance_is_a_listening_port()
    {
        var settings = new ShopSettings { ApiReplicas = 4 };

        var listening = settings.Ports.Listening(settings.ApiReplicas);

        Assert.Contains(settings.Ports.Postgres, listening);
        Assert.Contains(settings.Ports.RabbitMQEpmd, listening);
        Assert.Contains(settings.Ports.ApiBase + 3, listening);
        Assert.DoesNotContain(settings.Ports.ApiBase + 4, listening);
        Assert.Equal(typeof(ShopPorts).GetProperties().Length + 3, listening.Distinct().Count());
    }

    [Fact]
    public void Only_ports_inside_the_range_and_not_yet_reserved_are_exposed()
    {
        var exposed = EphemeralPorts.Exposed([8080, 32768, 55432, 55433, 56379, 60999, 61000], (32768, 60999), EphemeralPorts.ParseList("55433,56000-56400"));

        Assert.Equal([32768, 55432, 60999], exposed);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("8080\n", "8080")]
    [InlineData("8080,55432-55434", "8080,55432-55434")]
    [InlineData("55434,55432,55433,8080,8080", "8080,55432-55434")]
    public void Lists_read_and_write_as_the_kernel_writes_them(string text, string expected) =>
        Assert.Equal(expected, EphemeralPorts.FormatList(EphemeralPorts.ParseList(text)));

    [Fact]
    public void The_range_is_read_from_its_tab_separated_form() =>
        Assert.Equal((32768, 60999), EphemeralPorts.ParseRange("32768\t60999\n"));
}
