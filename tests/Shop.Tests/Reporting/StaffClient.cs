using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.VisualBasic.FileIO;
using Shop.Staff;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.Reporting;

/// <summary>
/// A browser-like client of the staff reports: a cookie jar, no automatic redirects, forms posted with their antiforgery
/// token; with <paramref name="address"/>, it comes from that client address (X-Forwarded-For, which Reporting trusts
/// from loopback), so sign-in limits count it apart.
/// </summary>
public sealed partial class StaffClient(TestShop shop, IPAddress? address = null) : IDisposable
{
    private HttpClient? http;

    public CookieContainer Cookies { get; } = new();

    public HttpClient Http => http ??= NewHttp();

    private HttpClient NewHttp()
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false })
        {
            BaseAddress = new Uri($"http://localhost:{shop.Ports.Reporting}"),
        };
        if (address is not null)
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", address.ToString());
        }
        return client;
    }

    /// <returns>The answer to the form post: a redirect when signed in, the page with its error otherwise.</returns>
    public async Task<HttpResponseMessage> SignInAsync(string email, string password) =>
        await PostFormAsync("/login", "login", new() { ["Input.Email"] = email, ["Input.Password"] = password });

    public async Task SignedInAsync(string email, string password)
    {
        using var response = await SignInAsync(email, password);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Sign-in as {email} answered {(int)response.StatusCode}");
    }

    public async Task<HttpResponseMessage> PostFormAsync(string path, string formName, Dictionary<string, string> fields)
    {
        var page = await Http.GetStringAsync(path);
        var token = AntiforgeryField().Match(page);
        Assert.True(token.Success, $"No antiforgery token on {path}");
        fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value);
        fields["_handler"] = formName;
        return await Http.PostAsync(path, new FormUrlEncodedContent(fields));
    }

    /// <summary>An export's rows after the header, read by the framework's RFC 4180 parser (quoted fields, doubled quotes, line breaks).</summary>
    public async Task<List<string[]>> CsvAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode}");
        using var parser = new TextFieldParser(await response.Content.ReadAsStreamAsync()) { HasFieldsEnclosedInQuotes = true, TrimWhiteSpace = false };
        parser.SetDelimiters(",");
        var rows = new List<string[]>();
        while (!parser.EndOfData)
        {
            rows.Add(parser.ReadFields()!);
        }
        return rows[1..];
    }

    /// <summary>A CSV cell as the report's page shows it: without the apostrophe that keeps a spreadsheet from running it.</summary>
    public static string AsOnPage(string cell) => cell is ['\'', '=' or '+' or '-' or '@' or '\t' or '\r', ..] ? cell[1..] : cell;

    public static async Task<string> AdminPasswordAsync(TestShop shop) => await shop.ParameterAsync("staff-admin-password");

    /// <summary>Creates an account straight in the staff store, with the given roles (none: a signed-in non-staff user).</summary>
    public static async Task CreateAccountAsync(TestShop shop, string email, string password, params string[] roles)
    {
        var connectionString = await shop.ConnectionStringAsync("postgres");
        var services = new ServiceCollection()
            .AddLogging()
            .AddDbContext<StaffDbContext>(options => StaffExtensions.UseStaffDatabase(options, connectionString));
        services.AddIdentityCore<StaffUser>(StaffExtensions.ConfigurePasswords).AddRoles<IdentityRole>().AddEntityFrameworkStores<StaffDbContext>();
        services.AddStaffNameNormalizer();
        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        var user = new StaffUser { UserName = email, Email = email, EmailConfirmed = true };
        var created = await users.CreateAsync(user, password);
        Assert.True(created.Succeeded, string.Join(" ", created.Errors.Select(e => e.Description)));
        if (roles.Length > 0)
        {
            Assert.True((await users.AddToRolesAsync(user, roles)).Succeeded);
        }
    }

    public void Dispose() => http?.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
