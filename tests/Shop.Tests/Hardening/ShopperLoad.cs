using System.Net.Http.Json;
using System.Text.Json;
using Shop.Tests.Orders;

namespace Shop.Tests.Hardening;

/// <summary>What shoppers do most, through the edge: catalog reads (cached and uncached) and orders with an Idempotency-Key.</summary>
public static class ShopperLoad
{
    public const string Catalog = "catalog";
    public const string Order = "order";

    public static void AddCatalogLanes(FaultTraffic traffic, HttpClient edge, int lanes)
    {
        for (var lane = 0; lane < lanes; lane++)
        {
            var random = new Random(lane);
            traffic.Lane(n => traffic.SendAsync(Catalog, edge, new HttpRequestMessage(HttpMethod.Get, (n % 3) switch
            {
                0 => "/api/catalog/items?page=1&pageSize=20",
                1 => $"/api/catalog/items/{random.Next(1, 4001)}",
                // A search nobody made before: a cache miss that reads Postgres.
                _ => $"/api/catalog/items?q={(char)('a' + random.Next(26))}{(char)('a' + random.Next(26))}&page={random.Next(1, 30)}",
            })));
        }
    }

    public static void AddOrderLanes(FaultTraffic traffic, HttpClient edge, int lanes, int firstProduct)
    {
        for (var lane = 0; lane < lanes; lane++)
        {
            var seed = lane;
            traffic.Lane(n =>
            {
                // A new key each: RandomOrders names every order after a run of its own.
                var order = OrderTraffic.RandomOrders(1, firstProduct, 20, 2, 2, seed * 100_000 + n)[0];
                var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(order.Body) };
                request.Headers.Add("Idempotency-Key", order.Key);
                return traffic.SendAsync(Order, edge, request);
            });
        }
    }

    /// <summary>Every request answered as it should be (catalog 200, order 202) or not.</summary>
    public static bool Failed(Exchange e) => e.Kind switch
    {
        Catalog => e.Status != 200,
        Order => e.Status != 202,
        _ => e.Status is 0 or >= 500,
    };

    public static List<Guid> AcceptedOrders(IEnumerable<Exchange> exchanges) =>
        [.. exchanges.Where(e => e.Kind == Order && e.Status == 202)
            .Select(e => JsonDocument.Parse(e.Body).RootElement.GetProperty("orderId").GetGuid())];
}
