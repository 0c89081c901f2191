using Shop.ServiceDefaults.Experience;

namespace Shop.Api.Platform;

/// <summary>
/// What counts as an admitted shopper's experience of the API: the catalog and orders. Not the waiting room (its polls
/// and joins come from shoppers who are not in yet, and are what admission paces), not staff's admin calls, not probes.
/// </summary>
public static class ShopperExperience
{
    public const string ServiceName = "api";

    private static readonly PathString[] Counted = ["/api/catalog", "/api/orders"];

    public static IApplicationBuilder UseShopperExperience(this IApplicationBuilder app) =>
        app.UseServiceExperience(request => Counted.Any(prefix => request.Path.StartsWithSegments(prefix)));
}
