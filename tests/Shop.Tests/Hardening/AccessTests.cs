using System.Net;
using Shop.ServiceDefaults.Endpoints;
using Shop.Staff;
using Shop.Tests.Infrastructure;
using Shop.Tests.Reporting;

namespace Shop.Tests.Hardening;

/// <summary>Who may call what: every endpoint has a policy or a reviewed reason to be public, and the policies hold.</summary>
[Collection(ShopCollection.Name)]
public sealed class AccessTests(ShopFixture fixture)
{
    private const string AdminKeyPolicy = "AdminKey";

    private sealed record PublicEndpoint(string Service, string Route, string Reason);

    /// <summary>
    /// The reviewed list of endpoints anyone may call. An endpoint neither here nor behind a policy fails the test, and so does
    /// an entry that no longer matches an endpoint: adding a public endpoint means adding it here, with its reason.
    /// </summary>
    private static readonly PublicEndpoint[] PublicEndpoints =
    [
        new(ShopService.Api, "/api/instance", "Names the instance that answered; no data."),
        new(ShopService.Api, "/api/catalog/items", "The catalog is the shop window."),
        new(ShopService.Api, "/api/catalog/items/{id}", "The catalog is the shop window."),
        new(ShopService.Api, "/api/catalog/categories", "The catalog is the shop window."),
        new(ShopService.Api, "/api/orders/", "Shoppers order without an account; during a sale the admission gate decides, and intake validates everything."),
        new(ShopService.Api, "/api/orders/{orderId}", "The order id is the shopper's receipt: a random UUID that only the shopper has."),
        new(ShopService.Api, "/api/waitingroom/sale", "Which sale gates the store: shown to every shopper."),
        new(ShopService.Api, "/api/waitingroom/join", "Anyone may queue; limited per client address."),
        new(ShopService.Api, "/api/waitingroom/status", "Answers only about the signed ticket the caller presents."),
        new(ShopService.Api, "/api/waitingroom/sales/{saleId}/queue", "One sale's queue, the same answer for every waiter (no ticket, no cookie); the edge caches it."),
        new(ShopService.Api, "/api/waitingroom/leave", "Gives up only the caller's own signed ticket."),
        new(ShopService.Web, "/", "Storefront page."),
        new(ShopService.Web, "/cart", "The shopper's own cart, found by its HttpOnly cookie."),
        new(ShopService.Web, "/cart/add", "Form post with antiforgery; changes only the caller's own cart."),
        new(ShopService.Web, "/cart/set", "Form post with antiforgery; changes only the caller's own cart."),
        new(ShopService.Web, "/category/{Slug}", "Storefront page."),
        new(ShopService.Web, "/checkout", "Shoppers check out without an account; the form carries an antiforgery token."),
        new(ShopService.Web, "/not-found", "Error page."),
        new(ShopService.Web, "/orders/{OrderId:guid}", "The order id is the shopper's receipt: a random UUID that only the shopper has."),
        new(ShopService.Web, "/product/{Id:int}", "Storefront page."),
        new(ShopService.Web, "/search", "Storefront page."),
        new(ShopService.Web, "/waiting-room", "Where shoppers wait during a sale."),
        new(ShopService.Reporting, "/login", "The sign-in page itself; wrong passwords are throttled per account and address (LoginLimit), never lock the account."),
        new(ShopService.Reporting, "/not-found", "Error page, no data."),
        new(ShopService.Reporting, "/status/{Code:int}", "Error page, no data."),
        new(ShopService.Web, "/_framework/opaque-redirect", "Blazor's redirect after an enhanced form post: follows only a URL this server protected with Data Protection."),
        new(ShopService.Reporting, "/_framework/opaque-redirect", "Blazor's redirect after an enhanced form post: follows only a URL this server protected with Data Protection."),
        new(ShopService.Web, "/{**path:file}", "The framework's fallback for the app's static files asked for by path; no data."),
        new(ShopService.Reporting, "/{**path:file}", "The framework's fallback for the app's static files asked for by path; no data."),
        .. Everywhere("/health", "Health probe of the edge and the AppHost; says only healthy or not."),
        .. Everywhere("/alive", "Liveness probe; says only alive or not."),
        .. Everywhere(EndpointInventory.Path, "Diagnostics, mapped only when Shop:Diagnostics:EndpointInventory is on (the test shop); off in production."),
    ];

    /// <summary>Files built into the app (scripts, styles): public by nature, and served by the framework, not by our handlers.</summary>
    private const string StaticAssetsReason = "Static files of the app.";

    private static IEnumerable<PublicEndpoint> Everywhere(string route, string reason) =>
        [new(ShopService.Api, route, reason), new(ShopService.Web, route, reason), new(ShopService.Reporting, route, reason)];

    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task Every_endpoint_has_a_policy_or_a_reviewed_reason_to_be_public()
    {
        var problems = new List<string>();
        var counts = new List<string>();
        foreach (var name in new[] { ShopService.Api, ShopService.Web, ShopService.Reporting })
        {
            var endpoints = await ShopService.For(shop, name).EndpointsAsync();
            counts.Add($"{name}: {endpoints.Count}");
            foreach (var endpoint in endpoints.Where(e => e.Access.IsPublic && e.Kind != EndpointInventory.Kinds.StaticAsset))
            {
                if (!PublicEndpoints.Any(p => p.Service == name && p.Route == endpoint.Route))
                {
                    problems.Add($"{name} {string.Join(',', endpoint.Methods)} {endpoint.Route} has no authorization policy and is not on the reviewed public list");
                }
            }
            foreach (var stale in PublicEndpoints.Where(p => p.Service == name && !endpoints.Any(e => e.Route == p.Route)))
            {
                problems.Add($"{name} {stale.Route} is on the public list but no longer an endpoint: take it off");
            }
            // A form post without antiforgery could be sent by any site the staff member or shopper happens to visit.
            foreach (var endpoint in endpoints.Where(e => name != ShopService.Api && e.Methods.Contains("POST") && !e.Antiforgery))
            {
                problems.Add($"{name} POST {endpoint.Route} does not require an antiforgery token");
            }
        }
        Assert.True(problems.Count == 0, $"Endpoints per service: {string.Join(", ", counts)}. Static assets are public ({StaticAssetsReason}){Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Fact]
    public async Task Api_admin_endpoints_refuse_anonymous_callers_wrong_keys_and_shoppers_with_401_problems()
    {
        var api = ShopService.For(shop, ShopService.Api);
        var admin = (await api.EndpointsAsync()).Where(e => e.Access.Policies.Contains(AdminKeyPolicy)).ToList();
        Assert.True(admin.Count >= 6, $"Only {admin.Count} endpoints carry the {AdminKeyPolicy} policy");
        Assert.All(admin, e => Assert.StartsWith("/api/admin/", e.Route));

        // From an address of its own: its wrong keys count against that address alone.
        using var http = Browserlike.Client(api.BaseAddress, Browserlike.NewSourceAddress());
        // A shopper in the middle of shopping: a waiting-room ticket from the API and a cart cookie from the storefront.
        using var join = await http.PostAsync("/api/waitingroom/join", null);
        var shopperCookies = string.Join("; ", join.Headers.TryGetValues("Set-Cookie", out var set) ? set.Select(c => c.Split(';')[0]) : [])
            + $"; shop.cart={new string('a', 32)}";

        foreach (var endpoint in admin)
        {
            foreach (var (who, headers) in new (string, Dictionary<string, string>)[]
            {
                ("anonymous", []),
                ("a wrong key", new() { ["X-Admin-Key"] = "not-the-admin-key-but-long-enough" }),
                ("a shopper", new() { ["Cookie"] = shopperCookies, ["X-Waiting-Ticket"] = "v1.AAAA.BBBB" }),
            })
            {
                using var request = new HttpRequestMessage(new HttpMethod(endpoint.Methods[0]), endpoint.Route.Replace("{id}", "1").Replace("{saleId}", "no-such-sale"))
                {
                    Content = endpoint.Methods[0] is "PUT" or "POST" ? new StringContent("{}", System.Text.Encoding.UTF8, "application/json") : null,
                };
                foreach (var (header, value) in headers)
                {
                    request.Headers.TryAddWithoutValidation(header, value);
                }
                using var response = await http.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized,
                    $"{endpoint.Methods[0]} {endpoint.Route} answered {(int)response.StatusCode} to {who}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }
    }

    [Fact]
    public async Task Reporting_sends_anonymous_visitors_to_sign_in_and_refuses_shoppers_and_staff_on_admin_pages()
    {
        var endpoints = (await ShopService.For(shop, ShopService.Reporting).EndpointsAsync())
            .Where(e => !e.Access.IsPublic && e.Kind != EndpointInventory.Kinds.StaticAsset && e.Methods.Contains("GET"))
            .ToList();
        var staffOnly = endpoints.Where(e => e.Access.Policies.Contains("Staff")).ToList();
        var adminOnly = endpoints.Where(e => e.Access.Policies.Contains("Admin")).ToList();
        Assert.NotEmpty(staffOnly);
        Assert.NotEmpty(adminOnly);

        var suffix = Guid.NewGuid().ToString("N")[..8];
        const string password = "correct horse battery";
        var shopper = $"access-shopper-{suffix}@example.com";
        var staff = $"access-staff-{suffix}@example.com";
        await StaffClient.CreateAccountAsync(shop, shopper, password);
        await StaffClient.CreateAccountAsync(shop, staff, password, StaffRoles.Staff);

        using var anonymous = new StaffClient(shop);
        using var signedInShopper = new StaffClient(shop);
        await signedInShopper.SignedInAsync(shopper, password);
        using var signedInStaff = new StaffClient(shop);
        await signedInStaff.SignedInAsync(staff, password);

        var problems = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var path = endpoint.Route.Replace("{Code:int}", "404");
            using (var response = await anonymous.Http.GetAsync(path))
            {
                // One rule: a page sends the visitor to sign in, anything else (an export) is a 401 problem without a redirect.
                var toLogin = response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location?.OriginalString.Contains("/login") == true;
                var refused = response.StatusCode == HttpStatusCode.Unauthorized && response.Headers.Location is null
                    && response.Content.Headers.ContentType?.MediaType == "application/problem+json";
                if (endpoint.Kind == EndpointInventory.Kinds.Page ? !toLogin : !refused)
                {
                    problems.Add($"anonymous GET {path}: {(int)response.StatusCode}");
                }
            }
            using (var response = await signedInShopper.Http.GetAsync(path))
            {
                if (response.StatusCode != HttpStatusCode.Forbidden)
                {
                    problems.Add($"signed-in non-staff GET {path}: {(int)response.StatusCode}");
                }
            }
            if (adminOnly.Contains(endpoint))
            {
                using var response = await signedInStaff.Http.GetAsync(path);
                if (response.StatusCode != HttpStatusCode.Forbidden)
                {
                    problems.Add($"staff (not admin) GET {path}: {(int)response.StatusCode}");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}
