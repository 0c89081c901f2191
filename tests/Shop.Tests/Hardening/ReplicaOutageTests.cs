using System.Diagnostics;
using System.Net;
using Shop.Staff;
using Shop.Tests.Infrastructure;
using Shop.Tests.Orders;
using Shop.Tests.Reporting;
using Xunit.Abstractions;

namespace Shop.Tests.Hardening;

/// <summary>The read replica stopped: shoppers never touch it, and staff see a plain "replica unavailable" page instead of an error.</summary>
[Collection(ShopCollection.Name)]
public sealed class ReplicaOutageTests(ShopFixture fixture, ITestOutputHelper output)
{
    private const string Replica = "postgres-replica";
    private static readonly string[] ReportPages = ["/reports/sales", "/reports/products", "/reports/sales-events", "/reports/stock"];

    private readonly TestShop shop = fixture.Shop;
    private readonly OrderTraffic orders = new(fixture.Shop);

    [Fact]
    public async Task With_the_replica_stopped_shoppers_are_unaffected_and_reports_say_the_replica_is_unavailable()
    {
        var ledger = await orders.OpenLedgerAsync([.. Enumerable.Range(4751, 20)], 100_000);
        using var staff = new StaffClient(shop);
        await staff.SignedInAsync(StaffRoles.AdminEmail, await StaffClient.AdminPasswordAsync(shop));
        using var edge = shop.EdgeClient();
        await using var traffic = new FaultTraffic();
        ShopperLoad.AddCatalogLanes(traffic, edge, lanes: 8);
        ShopperLoad.AddOrderLanes(traffic, edge, lanes: 4, firstProduct: 4751);
        traffic.Lane(n => traffic.SendAsync("page", edge, new HttpRequestMessage(HttpMethod.Get, n % 2 == 0 ? "/" : $"/product/{4751 + n % 20}")));
        IReadOnlyList<Exchange> exchanges;
        try
        {
            await traffic.WaitForAsync(200, "the load to get going");
            // A fast shutdown (SIGINT), as an operator would: a smart one (SIGTERM) waits for the reports' pooled sessions to end.
            var replica = TestShop.ProcessTree(shop.ProcessId(Replica));
            Process.Start("kill", ["-INT", replica[0].ToString()]).WaitForExit();
            await TestShop.WaitForExitAsync(replica, Replica);

            foreach (var path in ReportPages)
            {
                using var page = await staff.Http.GetAsync(path);
                var html = await page.Content.ReadAsStringAsync();
                Assert.True(page.StatusCode == HttpStatusCode.ServiceUnavailable, $"{path}: {(int)page.StatusCode} {html}");
                Assert.NotNull(page.Headers.RetryAfter);
                Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
                Assert.Contains("data-testid=\"replica-unavailable\"", html);
                Assert.Contains("The read replica is unavailable", html);
            }
            using (var csv = await staff.Http.GetAsync("/reports/stock.csv"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, csv.StatusCode);
                Assert.Equal("application/problem+json", csv.Content.Headers.ContentType?.MediaType);
                Assert.Contains("Read replica unavailable", await csv.Content.ReadAsStringAsync());
            }
            Assert.Contains("The read replica does not answer.", await staff.Http.GetStringAsync("/"));
            await Task.Delay(TimeSpan.FromSeconds(5));
            exchanges = await traffic.StopAsync();
        }
        finally
        {
            await traffic.StopAsync();
            await shop.StartAgainAsync(Replica);
        }

        var failed = exchanges.Where(e => ShopperLoad.Failed(e) || e.Kind == "page" && e.Status != 200).ToList();
        output.WriteLine($"Replica stopped under load: {exchanges.Count} shopper requests, {failed.Count} failed. {FaultTraffic.Summary(exchanges)}");
        Assert.True(failed.Count == 0, $"{failed.Count} shopper requests failed:\n{string.Join("\n", failed)}");
        var accepted = ShopperLoad.AcceptedOrders(exchanges);
        await orders.SettledAsync(accepted, TimeSpan.FromMinutes(2));
        await orders.AssertStockBalancesAsync(ledger);

        // Back without restarting the reports: the pool reconnects to the replica.
        foreach (var path in ReportPages)
        {
            await Poll.UntilAsync(async () => (await staff.Http.GetAsync(path)).StatusCode == HttpStatusCode.OK, $"{path} to show its report again");
        }
    }
}
