using System.Reflection;
using Shop.AppHost.Infrastructure;

namespace Shop.Testing;

/// <summary>
/// Ports of a shop booted beside others, derived from the AppHost's defaults (<see cref="ShopPorts"/>), so a port added
/// there moves with the rest.
/// </summary>
public static class ShopPortLayout
{
    private static readonly PropertyInfo[] Settings = typeof(ShopPorts).GetProperties();

    /// <summary>Every default moved by <paramref name="offset"/>.</summary>
    public static ShopPorts Moved(int offset) => Map(port => port + offset);

    /// <summary>
    /// A test shop's ports: every default 10,000 up, or 30,000 down where that would pass 32,767, so all of them sit
    /// below the kernel's ephemeral ports (32,768 and up), which outgoing connections would otherwise take; then moved
    /// by <paramref name="offset"/>.
    /// </summary>
    public static ShopPorts ForTests(int offset) => Map(port => (port + 10_000 < 32_768 ? port + 10_000 : port - 30_000) + offset);

    private static ShopPorts Map(Func<int, int> move)
    {
        var defaults = new ShopPorts();
        var moved = new ShopPorts();
        foreach (var setting in Settings)
        {
            setting.SetValue(moved, move((int)setting.GetValue(defaults)!));
        }
        return moved;
    }

    extension(ShopPorts ports)
    {
        /// <summary>Every port the shop listens on, each API instance's included.</summary>
        public IEnumerable<int> All => ports.Listening(new ShopSettings().ApiReplicas);

        /// <summary>The ports as AppHost settings (<c>Shop:Ports:Name=port</c>).</summary>
        public IEnumerable<string> AsConfiguration() => Settings.Select(setting => $"Shop:Ports:{setting.Name}={setting.GetValue(ports)}");
    }
}
