using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Shop.Reporting.Access;
using Shop.ServiceDefaults.Security;
using Shop.Staff;
using Shop.Tests.Infrastructure;
using Shop.Tests.Reporting;
using StackExchange.Redis;

namespace Shop.Tests.Hardening;

/// <summary>
/// Staff identity state the server can take back: sign-out, disabling, removing and new passwords end sessions at once
/// (copied cookies included), sessions have an absolute lifetime, and wrong passwords slow a guesser without locking
/// the real person out — counted on the account's one normalised spelling.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed partial class StaffSessionTests(ShopFixture fixture)
{
    private const string Password = "a staff password";
    private const int FailuresPerAccountAndAddress = 5;
    private readonly TestShop shop = fixture.Shop;

    [Fact]
    public async Task A_copied_staff_cookie_stops_working_when_its_session_signs_out()
    {
        var staff = await NewStaffAsync("copied");
        using var browser = Browser();
        await browser.SignedInAsync(staff, Password);
        using var copy = CopyOf(browser);
        Assert.True(await SignedInAsync(copy), "The copied cookie did not open the reports before sign-out.");

        using var signOut = await SignOutAsync(browser);

        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.False(await SignedInAsync(copy), "The copied cookie still opens the reports after sign-out.");
        using var export = await copy.Http.GetAsync("/reports/sales.csv");
        Assert.Equal(HttpStatusCode.Unauthorized, export.StatusCode);
        // The person signs in again as usual.
        await browser.SignedInAsync(staff, Password);
        Assert.True(await SignedInAsync(browser));
    }

    [Fact]
    public async Task Disabling_a_staff_account_ends_its_sessions_at_once_and_removing_it_too()
    {
        var staff = await NewStaffAsync("disabled");
        using var person = Browser();
        await person.SignedInAsync(staff, Password);
        using var admin = await AdminAsync();

        using (var disabled = await ActAsync(admin, "disable", staff))
        {
            Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
            Assert.Contains($"Disabled {staff}.", await disabled.Content.ReadAsStringAsync());
        }
        Assert.False(await SignedInAsync(person), "A disabled account's session still opens the reports.");
        Assert.Equal("disabled", (await RowsAsync(admin)).Single(r => r.Email == staff).State);
        using (var refused = await person.SignInAsync(staff, Password))
        {
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            Assert.Contains("do not match a staff account", await refused.Content.ReadAsStringAsync());
        }

        using (var enabled = await ActAsync(admin, "enable", staff))
        {
            Assert.Contains($"Enabled {staff}.", await enabled.Content.ReadAsStringAsync());
        }
        await person.SignedInAsync(staff, Password);
        Assert.True(await SignedInAsync(person));

        using (var removed = await ActAsync(admin, "remove", staff))
        {
            Assert.Contains($"Removed {staff}.", await removed.Content.ReadAsStringAsync());
        }
        Assert.False(await SignedInAsync(person), "A removed account's session still opens the reports.");
        Assert.DoesNotContain(await RowsAsync(admin), r => r.Email == staff);
    }

    [Fact]
    public async Task A_new_password_set_by_an_admin_ends_the_old_sessions()
    {
        var staff = await NewStaffAsync("password");
        using var person = Browser();
        await person.SignedInAsync(staff, Password);
        using var admin = await AdminAsync();
        const string newPassword = "another staff password";

        using (var tooShort = await admin.PostFormAsync("/staff", "set-password", new()
        {
            ["Password.UserId"] = await IdAsync(admin, staff), ["Password.NewPassword"] = "short",
        }))
        {
            Assert.Contains("at least 12 characters", await tooShort.Content.ReadAsStringAsync());
        }
        Assert.True(await SignedInAsync(person), "A refused password change ended the session.");

        using (var set = await admin.PostFormAsync("/staff", "set-password", new()
        {
            ["Password.UserId"] = await IdAsync(admin, staff), ["Password.NewPassword"] = newPassword,
        }))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            Assert.Contains($"Set a new password for {staff}.", await set.Content.ReadAsStringAsync());
        }

        Assert.False(await SignedInAsync(person), "The session signed in with the old password still opens the reports.");
        using (var old = await Browser().SignInAsync(staff, Password))
        {
            Assert.Contains("do not match a staff account", await old.Content.ReadAsStringAsync());
        }
        await person.SignedInAsync(staff, newPassword);
    }

    [Fact]
    public async Task The_last_active_admin_can_neither_disable_nor_remove_itself()
    {
        var email = await NewStaffAsync("last-admin", StaffRoles.Staff, StaffRoles.Admin);
        using var admin = Browser();
        await admin.SignedInAsync(email, Password);
        var self = await IdAsync(admin, email);
        var others = (await RowsAsync(admin)).Where(r => r.Email != email && r.Roles.Contains(StaffRoles.Admin) && r.State == "active").ToList();
        Assert.NotEmpty(others);
        try
        {
            foreach (var other in others)
            {
                using var disabled = await ActAsync(admin, "disable", other.Email);
                Assert.Contains($"Disabled {other.Email}.", await disabled.Content.ReadAsStringAsync());
            }

            foreach (var verb in new[] { "disable", "remove" })
            {
                using var refused = await ActAsync(admin, verb, email);
                Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
                Assert.Contains("the only active admin", await refused.Content.ReadAsStringAsync());
            }
            Assert.True(await SignedInAsync(admin), "The refused change ended the last admin's session.");

            // With another admin active again, it may.
            using var enabled = await ActAsync(admin, "enable", others[0].Email);
            using var removed = await ActAsync(admin, "remove", email);
            Assert.Contains($"Removed {email}.", await removed.Content.ReadAsStringAsync());
        }
        finally
        {
            await using var db = Npgsql.NpgsqlDataSource.Create(await shop.ConnectionStringAsync("postgres"));
            await using var enable = db.CreateCommand("UPDATE staff.\"AspNetUsers\" SET lockout_end = NULL WHERE id = ANY($1)");
            enable.Parameters.AddWithValue(others.Select(o => o.Id).ToArray());
            await enable.ExecuteNonQueryAsync();
            await using var remove = db.CreateCommand("DELETE FROM staff.\"AspNetUsers\" WHERE id = $1");
            remove.Parameters.AddWithValue(self);
            await remove.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task A_session_ends_twelve_hours_after_its_sign_in_however_often_it_is_used()
    {
        var staff = await NewStaffAsync("lifetime");
        using var browser = Browser();
        await browser.SignedInAsync(staff, Password);
        using var reporting = await ReportingInstanceAsync();
        var cookies = new TicketDataFormat(reporting.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(
            "Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationMiddleware", "Identity.Application", "v2"));
        var ticket = cookies.Unprotect(browser.Cookies.GetCookies(browser.Http.BaseAddress!).Single(c => c.Name == "shop.staff").Value)
            ?? throw new Xunit.Sdk.XunitException("The sign-in cookie did not unprotect with Reporting's key ring.");
        var signedInAt = DateTimeOffset.Parse(ticket.Properties.Items[StaffSessionValidator.SignedInAtKey]!, CultureInfo.InvariantCulture);
        Assert.True((DateTimeOffset.UtcNow - signedInAt).Duration() < TimeSpan.FromMinutes(2), $"The session says it began at {signedInAt}.");

        // The same session, as it would be after hours of use: renewed a moment ago (sliding), signed in long ago.
        StaffClient Aged(TimeSpan age)
        {
            var properties = ticket.Properties.Clone();
            properties.IssuedUtc = DateTimeOffset.UtcNow.AddMinutes(-1);
            properties.ExpiresUtc = DateTimeOffset.UtcNow.AddHours(8);
            properties.Items[StaffSessionValidator.SignedInAtKey] = DateTimeOffset.UtcNow.Subtract(age).ToString("O", CultureInfo.InvariantCulture);
            var client = Browser();
            client.Cookies.Add(browser.Http.BaseAddress!, new Cookie("shop.staff", cookies.Protect(new AuthenticationTicket(ticket.Principal, properties, ticket.AuthenticationScheme))));
            return client;
        }

        using var elevenHours = Aged(TimeSpan.FromHours(11));
        using var twelveHours = Aged(TimeSpan.FromHours(12).Add(TimeSpan.FromMinutes(1)));
        Assert.True(await SignedInAsync(elevenHours), "A session signed in 11 hours ago was refused.");
        Assert.False(await SignedInAsync(twelveHours), "A session signed in over 12 hours ago still opens the reports.");
    }

    [Fact]
    public void The_absolute_lifetime_counts_from_the_sign_in_and_a_session_without_one_has_ended()
    {
        var now = DateTimeOffset.UtcNow;
        var lifetime = TimeSpan.FromHours(12);
        AuthenticationProperties SignedIn(string? at) => at is null ? new() : new(new Dictionary<string, string?> { [StaffSessionValidator.SignedInAtKey] = at });
        string Ago(TimeSpan age) => now.Subtract(age).ToString("O", CultureInfo.InvariantCulture);

        Assert.False(StaffSessionValidator.Expired(SignedIn(Ago(TimeSpan.FromHours(11.9))), now, lifetime));
        Assert.True(StaffSessionValidator.Expired(SignedIn(Ago(lifetime)), now, lifetime));
        Assert.True(StaffSessionValidator.Expired(SignedIn(null), now, lifetime));
        Assert.True(StaffSessionValidator.Expired(SignedIn("yesterday"), now, lifetime));
        Assert.True(StaffSessionValidator.Expired(SignedIn(Ago(TimeSpan.FromHours(-1))), now, lifetime));
    }

    [Fact]
    public async Task Ten_wrong_passwords_from_one_address_do_not_stop_the_right_password_from_another()
    {
        var staff = await NewStaffAsync("guessed");
        using var guesser = Browser();
        for (var i = 0; i < 10; i++)
        {
            using var attempt = await guesser.SignInAsync(staff, $"wrong password {i}");
            var page = await attempt.Content.ReadAsStringAsync();
            if (i < FailuresPerAccountAndAddress)
            {
                Assert.True(attempt.StatusCode == HttpStatusCode.OK, $"Wrong password {i + 1} answered {(int)attempt.StatusCode}.");
                Assert.Contains("do not match a staff account", page);
            }
            else
            {
                Assert.True(attempt.StatusCode == HttpStatusCode.TooManyRequests, $"Wrong password {i + 1} answered {(int)attempt.StatusCode}.");
                Assert.Contains("Too many wrong passwords for this account from your network address", page);
                Assert.True(attempt.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            }
        }
        // Refused from the guesser's address even with the right password...
        using (var fromGuesser = await guesser.SignInAsync(staff, Password))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, fromGuesser.StatusCode);
        }

        // ...while the real person, elsewhere, signs in.
        using var person = Browser();
        await person.SignedInAsync(staff, Password);
        Assert.True(await SignedInAsync(person));
    }

    [Fact]
    public async Task Wrong_passwords_from_many_addresses_slow_the_account_down_but_the_right_one_still_signs_in()
    {
        var staff = await NewStaffAsync("spread");
        const int wrong = 8;
        for (var i = 0; i < wrong; i++)
        {
            using var guesser = Browser();
            using var attempt = await guesser.SignInAsync(staff, $"wrong password {i}");
            Assert.True(attempt.StatusCode == HttpStatusCode.OK, $"Wrong password {i + 1} (its own address) answered {(int)attempt.StatusCode}.");
        }

        using var person = Browser();
        var stopwatch = Stopwatch.StartNew();
        await person.SignedInAsync(staff, Password);

        // The defaults: 5 free, then 0.5 s doubling per wrong password, so the ninth attempt waits 4 s.
        var expected = new LoginLimitOptions().DelayAfter(wrong);
        Assert.Equal(TimeSpan.FromSeconds(4), expected);
        Assert.True(stopwatch.Elapsed >= expected - TimeSpan.FromMilliseconds(100), $"The sign-in after {wrong} wrong passwords took only {stopwatch.Elapsed}.");
    }

    [Fact]
    public void The_delay_doubles_after_the_free_wrong_passwords_up_to_its_cap()
    {
        var limits = new LoginLimitOptions();
        Assert.Equal(TimeSpan.Zero, limits.DelayAfter(limits.FreeFailuresPerAccount - 1));
        Assert.Equal(limits.FirstDelay, limits.DelayAfter(limits.FreeFailuresPerAccount));
        Assert.Equal(limits.FirstDelay * 2, limits.DelayAfter(limits.FreeFailuresPerAccount + 1));
        Assert.Equal(limits.MaxDelay, limits.DelayAfter(limits.FreeFailuresPerAccount + 30));
        Assert.Equal(limits.MaxDelay, limits.DelayAfter(long.MaxValue));
    }

    [Fact]
    public async Task Another_Unicode_spelling_of_an_email_is_the_same_account_for_the_limits_and_for_sign_in()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var staff = $"uni-{suffix}@example.com";
        await StaffClient.CreateAccountAsync(shop, staff, Password, StaffRoles.Staff);
        string[] spellings =
        [
            FullWidth(staff[..staff.IndexOf('@')]) + staff[staff.IndexOf('@')..], // ｕｎｉ-…@example.com
            staff.ToUpperInvariant(),
            " " + FullWidth(staff.ToUpperInvariant()[..3]) + staff[3..] + " ",
            staff.Replace("example", "e\uff58ample", StringComparison.Ordinal), // a full-width x in the domain
            FullWidth(staff[..staff.IndexOf('@')]) + staff[staff.IndexOf('@')..].ToUpperInvariant(),
        ];
        Assert.Equal(FailuresPerAccountAndAddress, spellings.Length);
        Assert.All(spellings, s => Assert.Equal(StaffNameNormalizer.Normalize(staff), StaffNameNormalizer.Normalize(s)));

        using var guesser = Browser();
        foreach (var spelling in spellings)
        {
            using var attempt = await guesser.SignInAsync(spelling, "not the password at all");
            Assert.True(attempt.StatusCode == HttpStatusCode.OK, $"A wrong password as {spelling} answered {(int)attempt.StatusCode}.");
        }
        using (var plain = await guesser.SignInAsync(staff, "not the password at all"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, plain.StatusCode);
        }

        // The full-width spelling with the right password is the same account, signed in under its own name.
        using var person = Browser();
        await person.SignedInAsync(spellings[0], Password);
        Assert.Contains($">{staff}<", await person.Http.GetStringAsync("/reports/stock"));
        // And no second account can be made under another spelling.
        using var admin = await AdminAsync();
        using var duplicate = await admin.PostFormAsync("/staff", "add-staff", new() { ["Input.Email"] = spellings[0], ["Input.Password"] = Password });
        Assert.Contains("is already taken", await duplicate.Content.ReadAsStringAsync());
    }

    /// <summary>A browser of the reports from an address of its own: it asks for HTML, so refusals come as the page with its message.</summary>
    private StaffClient Browser()
    {
        var client = new StaffClient(shop, Browserlike.NewSourceAddress());
        client.Http.AskingForHtml();
        return client;
    }

    private static string FullWidth(string text) =>
        string.Concat(text.Select(c => c is >= '!' and <= '~' && c != '@' ? (char)(c - '!' + '\uff01') : c));

    private async Task<string> NewStaffAsync(string what, params string[] roles)
    {
        var email = $"{what}-{Guid.NewGuid():N}"[..(what.Length + 9)] + "@example.com";
        await StaffClient.CreateAccountAsync(shop, email, Password, roles.Length > 0 ? roles : [StaffRoles.Staff]);
        return email;
    }

    private async Task<StaffClient> AdminAsync()
    {
        var admin = Browser();
        await admin.SignedInAsync(StaffRoles.AdminEmail, await StaffClient.AdminPasswordAsync(shop));
        return admin;
    }

    /// <summary>Another client holding a copy of <paramref name="original"/>'s sign-in cookie, as an attacker who read it would.</summary>
    private StaffClient CopyOf(StaffClient original)
    {
        var copy = Browser();
        var cookie = original.Cookies.GetCookies(original.Http.BaseAddress!).Single(c => c.Name == "shop.staff");
        copy.Cookies.Add(original.Http.BaseAddress!, new Cookie(cookie.Name, cookie.Value));
        return copy;
    }

    private static async Task<bool> SignedInAsync(StaffClient client)
    {
        using var response = await client.Http.GetAsync("/reports/sales");
        return response.StatusCode switch
        {
            HttpStatusCode.OK => true,
            HttpStatusCode.Redirect when response.Headers.Location?.OriginalString.Contains("/login", StringComparison.Ordinal) == true => false,
            var status => throw new Xunit.Sdk.XunitException($"GET /reports/sales answered {(int)status}."),
        };
    }

    /// <summary>The layout's sign-out form: a post with the page's antiforgery token.</summary>
    private static async Task<HttpResponseMessage> SignOutAsync(StaffClient client)
    {
        var page = await client.Http.GetStringAsync("/reports/stock");
        return await client.Http.PostAsync("/logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = Browserlike.AntiforgeryToken(page),
        }));
    }

    private sealed record Row(string Email, string Id, string Roles, string State);

    private static async Task<List<Row>> RowsAsync(StaffClient admin) =>
        [.. StaffRow().Matches(await admin.Http.GetStringAsync("/staff")).Select(m => new Row(
            WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value), WebUtility.HtmlDecode(m.Groups[3].Value), m.Groups[4].Value))];

    private static async Task<string> IdAsync(StaffClient admin, string email) => (await RowsAsync(admin)).Single(r => r.Email == email).Id;

    /// <summary>A row's button on the staff page (disable, enable, remove).</summary>
    private static async Task<HttpResponseMessage> ActAsync(StaffClient admin, string verb, string email) =>
        await admin.PostFormAsync("/staff", "staff-action", new() { ["Act.Command"] = $"{verb}:{await IdAsync(admin, email)}" });

    /// <summary>Reporting's Data Protection, set up as the service sets it up (its key ring in Redis): reads and writes its cookies.</summary>
    private async Task<IHost> ReportingInstanceAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection([new("DataProtection:Key", await shop.ParameterAsync("dataprotection-key"))]);
        var redis = await shop.ConnectionStringAsync("redis");
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redis));
        builder.AddSharedDataProtection("shop-reporting");
        return builder.Build();
    }

    [GeneratedRegex("<tr data-testid=\"staff-row\" data-email=\"([^\"]*)\" data-id=\"([^\"]*)\" data-roles=\"([^\"]*)\" data-state=\"([^\"]*)\"")]
    private static partial Regex StaffRow();
}
