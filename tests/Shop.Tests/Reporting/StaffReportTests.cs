using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Shop.Staff;
using Shop.Tests.Infrastructure;
using Shop.Tests.Orders;

namespace Shop.Tests.Reporting;

/// <summary>The staff reports: who gets in, and whether the sales report shows what the store sold, as table, chart and CSV.</summary>
[Collection(ShopCollection.Name)]
public sealed partial class StaffReportTests(ShopFixture fixture)
{
    private const int Product = 4801;
    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task Anonymous_visitors_sign_in_first_non_staff_get_403_staff_read_reports_and_only_admins_add_staff()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        const string password = "correct horse battery";

        // Anonymous: every page sends to the sign-in page; an export (an API endpoint, so no redirect) is a 401.
        using (var anonymous = new StaffClient(shop))
        {
            foreach (var path in new[] { "/", "/reports/sales", "/staff" })
            {
                using var response = await anonymous.Http.GetAsync(path);
                Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
                Assert.StartsWith("/login", response.Headers.Location?.PathAndQuery ?? response.Headers.Location?.OriginalString);
            }
            using (var export = await anonymous.Http.GetAsync("/reports/sales.csv"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, export.StatusCode);
            }
            using var wrong = await anonymous.SignInAsync(StaffRoles.AdminEmail, "not the password at all");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("do not match a staff account", await wrong.Content.ReadAsStringAsync());
        }

        // A signed-in account without the staff role (a shopper): 403 everywhere.
        var shopper = $"shopper-{suffix}@example.com";
        await StaffClient.CreateAccountAsync(shop, shopper, password);
        using (var client = new StaffClient(shop))
        {
            await client.SignedInAsync(shopper, password);
            foreach (var path in new[] { "/reports/sales", "/reports/sales.csv", "/staff" })
            {
                using var response = await client.Http.GetAsync(path);
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{path} answered {(int)response.StatusCode} to a shopper");
            }
        }

        // The admin adds a staff member through the staff page (a form with its antiforgery token).
        var staff = $"staff-{suffix}@example.com";
        using (var admin = new StaffClient(shop))
        {
            await admin.SignedInAsync(StaffRoles.AdminEmail, await StaffClient.AdminPasswordAsync(shop));
            using var added = await admin.PostFormAsync("/staff", "add-staff", new() { ["Input.Email"] = staff, ["Input.Password"] = password });
            Assert.Contains($"Added {staff}.", await added.Content.ReadAsStringAsync());
            using var reports = await admin.Http.GetAsync("/reports/sales");
            Assert.Equal(HttpStatusCode.OK, reports.StatusCode);

            // A form post without the antiforgery token is refused.
            using var forged = await admin.Http.PostAsync("/staff", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "add-staff", ["Input.Email"] = $"forged-{suffix}@example.com", ["Input.Password"] = password,
            }));
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }

        // Staff read reports but cannot add staff.
        using (var client = new StaffClient(shop))
        {
            await client.SignedInAsync(staff, password);
            // The sign-in cookie is HttpOnly and SameSite=Strict.
            using var signIn = await new StaffClient(shop).SignInAsync(staff, password);
            Assert.Contains(signIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("shop.staff=") && c.Contains("httponly") && c.Contains("samesite=strict"));
            using var reports = await client.Http.GetAsync("/reports/sales");
            Assert.Equal(HttpStatusCode.OK, reports.StatusCode);
            using var csv = await client.Http.GetAsync("/reports/sales.csv");
            Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
            using var staffPage = await client.Http.GetAsync("/staff");
            Assert.Equal(HttpStatusCode.Forbidden, staffPage.StatusCode);
        }
    }

    [Fact]
    public async Task Confirmed_orders_appear_in_the_sales_report_within_5_seconds_and_the_csv_matches_the_table()
    {
        var orders = new OrderTraffic(shop);
        await orders.SetStockAsync([Product], 100);
        using var client = new StaffClient(shop);
        await client.SignedInAsync(StaffRoles.AdminEmail, await StaffClient.AdminPasswordAsync(shop));
        var before = await TotalsAsync(client);

        var placed = await orders.BurstAsync([.. Enumerable.Range(0, 3).Select(_ => new OrderRequest(Guid.NewGuid().ToString("N"), "bi@example.com", [new OrderItem(Product, 2)]))]);
        Assert.All(placed, p => Assert.Equal(HttpStatusCode.Accepted, p.Status));
        var settled = await orders.SettledAsync([.. placed.Select(p => p.OrderId!.Value)], TimeSpan.FromSeconds(30));
        Assert.All(settled.Values, o => Assert.Equal("Confirmed", o.Status));
        var confirmedAt = DateTime.UtcNow;

        await Poll.UntilAsync(async () => (await TotalsAsync(client)).Orders >= before.Orders + 3, "the report to count the three orders");
        Assert.True(DateTime.UtcNow - confirmedAt < TimeSpan.FromSeconds(5), $"The report took {DateTime.UtcNow - confirmedAt} to show the orders.");
        var after = await TotalsAsync(client);
        Assert.Equal(before.Units + 6, after.Units);

        // The export has the table's rows, in the same order, as RFC 4180 CSV in UTF-8 with a BOM.
        var page = await client.Http.GetStringAsync("/reports/sales?by=hour");
        var table = TableRows(page);
        using var csv = await client.Http.GetAsync("/reports/sales.csv?by=hour");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var bytes = await csv.Content.ReadAsByteArrayAsync();
        Assert.Equal(Encoding.UTF8.GetPreamble(), bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("bucket,orders,units,revenue", lines[0]);
        Assert.NotEmpty(table);
        Assert.Equal(table, lines[1..]);
    }

    [Fact]
    public async Task Staff_sign_in_in_Chromium_and_see_the_sales_chart_with_data_and_how_fresh_it_is()
    {
        await new OrderTraffic(shop).SetStockAsync([Product + 1], 100);
        var order = await OrderTraffic.SendAsync(shop.EdgeClient(), new OrderRequest(Guid.NewGuid().ToString("N"), "chart@example.com", [new OrderItem(Product + 1, 1)]));
        await new OrderTraffic(shop).SettledAsync([order.OrderId!.Value], TimeSpan.FromSeconds(30));
        var staff = $"chart-{Guid.NewGuid():N}"[..14] + "@example.com";
        const string password = "a staff password";
        await StaffClient.CreateAccountAsync(shop, staff, password, StaffRoles.Staff);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox", "--disable-gpu"],
        });
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"http://localhost:{shop.Ports.Reporting}/reports/sales");
        await page.WaitForURLAsync("**/login?ReturnUrl=*");
        await page.FillAsync("input[type=email]", staff);
        await page.FillAsync("input[type=password]", password);
        await page.ClickAsync("form button[type=submit]");
        await page.WaitForURLAsync("**/reports/sales");

        // A fresh database may have one hour of sales only: one point, no line yet.
        await page.WaitForSelectorAsync("[data-testid=sales-chart] svg circle.point");
        var points = await page.Locator("[data-testid=sales-chart] circle.point").CountAsync();
        Assert.True(points >= 1, "The chart has no data points.");
        Assert.Matches(@"Data as of \d\d:\d\d:\d\d UTC \(replica lag \d+\.\d s\)", await page.InnerTextAsync("[data-testid=freshness]"));
        Assert.True(await page.Locator("[data-testid=sales-table] tbody tr").CountAsync() >= 1);
    }

    [Fact]
    public async Task A_sale_shows_in_outcomes_funnel_products_and_stock_and_every_table_matches_its_csv()
    {
        var product = Product + 2;
        var orders = new OrderTraffic(shop);
        await orders.SetStockAsync([product], 2);
        var sales = new WaitingRoom.SaleTraffic(shop);
        var saleId = WaitingRoom.SaleTraffic.NewSaleId();
        var accepted = new List<Guid>();
        await using (await sales.StartSaleAsync(saleId, WaitingRoom.SaleTraffic.Sale(admissionsPerMinute: 6000, maxActive: 10)))
        {
            // Three shoppers wait, are admitted and order one unit each of a product with 2 in stock; one more joins and leaves.
            using var api = sales.Instance(0);
            using var edge = shop.EdgeClient();
            for (var i = 0; i < 3; i++)
            {
                var waiter = await WaitingRoom.SaleTraffic.JoinedAsync(api, WaitingRoom.SaleTraffic.ClientIp(95_000 + i));
                var admission = (await WaitingRoom.SaleTraffic.AdmittedAsync(api, waiter)).AdmissionToken!;
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders")
                {
                    Content = System.Net.Http.Json.JsonContent.Create(new
                    {
                        customer = new { email = $"bi{i}@example.com", name = "BI" }, items = new[] { new { productId = product, quantity = 1 } },
                    }),
                };
                request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
                request.Headers.Add("X-Admission-Token", admission);
                request.Headers.Add("X-Waiting-Ticket", waiter.Ticket);
                using var response = await edge.SendAsync(request);
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                accepted.Add(System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("orderId").GetGuid());
            }
            await WaitingRoom.SaleTraffic.JoinedAsync(api, WaitingRoom.SaleTraffic.ClientIp(95_010));
            await orders.SettledAsync(accepted, TimeSpan.FromSeconds(30));
            // The admission loop copies the queue's counters to Postgres every second.
            await Task.Delay(TimeSpan.FromSeconds(2));
        }

        using var client = new StaffClient(shop);
        await client.SignedInAsync(StaffRoles.AdminEmail, await StaffClient.AdminPasswordAsync(shop));
        string[]? funnelRow = null, outcomeRow = null;
        await Poll.UntilAsync(async () =>
        {
            funnelRow = (await client.CsvAsync("/reports/funnel.csv")).FirstOrDefault(r => r[0].Contains(saleId));
            outcomeRow = (await client.CsvAsync("/reports/outcomes.csv")).FirstOrDefault(r => r[0].Contains(saleId));
            return funnelRow is [_, "4", ..] && outcomeRow is not null;
        }, "the sale in the funnel and outcome reports");
        // joined 4, admitted 4 (the fourth was let in too), ordered 3, confirmed 2; outcomes: 2 confirmed, 1 sold out.
        Assert.Equal(["4", "4", "3", "2"], funnelRow![1..5]);
        Assert.NotEqual("", funnelRow[5]);
        Assert.Equal(["2", "1", "0", "0"], outcomeRow![1..5]);
        Assert.Contains(await client.CsvAsync("/reports/stock.csv?low=0"), r => r[0] == product.ToString() && r[4] == "sold out");

        // Every report's table is its CSV, row for row.
        foreach (var (page, table, csv) in new[]
        {
            ("/reports/products", "products-table", "/reports/top-products.csv"),
            ("/reports/products", "categories-table", "/reports/categories.csv"),
            ("/reports/sales-events", "outcomes-table", "/reports/outcomes.csv"),
            ("/reports/sales-events", "funnel-table", "/reports/funnel.csv"),
            ("/reports/stock?low=0", "stock-table", "/reports/stock.csv?low=0"),
        })
        {
            var html = await client.Http.GetStringAsync(page);
            var section = html[html.IndexOf($"data-testid=\"{table}\"", StringComparison.Ordinal)..];
            Assert.Equal(TableRows(section).Take(20), (await client.CsvAsync(csv)).Take(20).Select(r => string.Join(',', r.Select(StaffClient.AsOnPage))));
        }
    }

    [Fact]
    public async Task Reports_warn_when_the_replica_is_more_than_a_minute_behind()
    {
        using var client = new StaffClient(shop);
        await client.SignedInAsync(StaffRoles.AdminEmail, await StaffClient.AdminPasswordAsync(shop));
        Assert.DoesNotContain("freshness-warning", await client.Http.GetStringAsync("/reports/stock"));

        // Stop replaying WAL on the standby while the primary keeps writing: the replica falls behind.
        await using var replica = Npgsql.NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres-replica"));
        await using var primary = Npgsql.NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
        await using (var pause = replica.CreateCommand("SELECT pg_wal_replay_pause()"))
        {
            await pause.ExecuteNonQueryAsync();
        }
        try
        {
            var behind = System.Diagnostics.Stopwatch.StartNew();
            while (behind.Elapsed < TimeSpan.FromSeconds(62))
            {
                await using var write = primary.CreateCommand("UPDATE products SET updated_at = now() WHERE id = 4803");
                await write.ExecuteNonQueryAsync();
                await Task.Delay(TimeSpan.FromSeconds(5));
            }
            var page = await client.Http.GetStringAsync("/reports/stock");
            Assert.Contains("data-testid=\"freshness-warning\"", page);
            Assert.Contains("behind the store", page);
        }
        finally
        {
            await using var resume = replica.CreateCommand("SELECT pg_wal_replay_resume()");
            await resume.ExecuteNonQueryAsync();
        }
        await Poll.UntilAsync(async () => !(await client.Http.GetStringAsync("/reports/stock")).Contains("freshness-warning"),
            "the warning to go once the replica catches up");
    }


    private sealed record Totals(long Orders, long Units);

    private static async Task<Totals> TotalsAsync(StaffClient client)
    {
        var lines = (await client.Http.GetStringAsync("/reports/sales.csv?by=hour")).TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries)[1..];
        var cells = lines.Select(l => l.Split(',')).ToList();
        return new Totals(cells.Sum(c => long.Parse(c[1])), cells.Sum(c => long.Parse(c[2])));
    }

    private static List<string> TableRows(string html)
    {
        var body = Regex.Match(html, "<tbody>(.*?)</tbody>", RegexOptions.Singleline).Groups[1].Value;
        return [.. Row().Matches(body).Select(row => string.Join(',', Cell().Matches(row.Groups[1].Value).Select(c => WebUtility.HtmlDecode(c.Groups[1].Value.Trim()))))];
    }

    [GeneratedRegex("<tr>(.*?)</tr>", RegexOptions.Singleline)]
    private static partial Regex Row();

    [GeneratedRegex("<td>(.*?)</td>", RegexOptions.Singleline)]
    private static partial Regex Cell();
}
