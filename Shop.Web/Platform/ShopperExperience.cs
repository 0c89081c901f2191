using Shop.ServiceDefaults.Experience;
using Shop.Web.WaitingRoom;

namespace Shop.Web.Platform;

/// <summary>
/// What counts as an admitted shopper's experience of the storefront: its pages and cart actions, measured behind the
/// waiting-room gate, so a shopper sent to wait is not counted. Not the waiting page (its visitors are not in yet),
/// not static files (served from memory whatever the load, they would only thin the tail out), not probes.
/// </summary>
public static class ShopperExperience
{
    public const string ServiceName = "web";

    private static readonly string[] NotCounted = [WaitingRoomGate.WaitingRoomPath, "/_framework", "/_content"];

    public static IApplicationBuilder UseShopperExperience(this IApplicationBuilder app) =>
        app.UseServiceExperience(request => !ServiceExperience.IsProbe(request.Path)
            && !NotCounted.Any(p => request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))
            && !Path.HasExtension(request.Path.Value));
}
