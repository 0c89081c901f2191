using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Npgsql;
using Shop.Staff;

namespace Shop.Reporting.Access;

/// <summary>How long a staff sign-in lasts.</summary>
public sealed class StaffSessionOptions
{
    public const string SectionName = "Staff:Session";

    /// <summary>A session unused this long ends (sliding: each use renews it).</summary>
    [Range(typeof(TimeSpan), "00:00:10", "7.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>A session ends this long after its sign-in, however often it is used.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "30.00:00:00")]
    public TimeSpan AbsoluteLifetime { get; set; } = TimeSpan.FromHours(12);
}

/// <summary>
/// Sessions the server can take back. The sign-in cookie carries the account's security stamp (Identity's
/// <c>AspNet.Identity.SecurityStamp</c> claim) and its sign-in time; every request compares the stamp with the
/// account's, one primary-key read, so changing the stamp (<see cref="EndAllAsync"/>: sign-out, disable, password
/// change) or removing the account ends every copy of the cookie at its next request. No session store: the accounts
/// table already is the server-side state, and a copied cookie cannot outlive what the account says.
/// </summary>
public sealed class StaffSessionValidator(
    IOptions<SecurityStampValidatorOptions> options, SignInManager<StaffUser> signIn, ILoggerFactory logger,
    IOptions<StaffSessionOptions> sessions)
    : SecurityStampValidator<StaffUser>(options, signIn, logger)
{
    /// <summary>The sign-in time (round-trip format) in the ticket's properties; sliding renewals keep it.</summary>
    public const string SignedInAtKey = "shop.signed-in-at";

    /// <summary>
    /// On every request (not once per <see cref="SecurityStampValidatorOptions.ValidationInterval"/>): the stamp, the
    /// account not disabled, the absolute lifetime. The principal is kept as signed in (no reload of roles and claims,
    /// no new cookie each request): roles are only given when an account is made, and taking them away goes with
    /// ending its sessions.
    /// </summary>
    public override async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        if (context.Principal is { } principal
            && !Expired(context.Properties, TimeProvider.GetUtcNow(), sessions.Value.AbsoluteLifetime)
            && await AccountAsync(principal) is { } user
            && !await SignInManager.UserManager.IsLockedOutAsync(user))
        {
            return;
        }
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
    }

    /// <summary>The account, if its stamp is the cookie's; a primary that does not answer is a 503 (the session is kept), not a sign-out.</summary>
    private async Task<StaffUser?> AccountAsync(ClaimsPrincipal principal)
    {
        try
        {
            return await VerifySecurityStamp(principal);
        }
        catch (NpgsqlException e) when (e.IsTransient)
        {
            throw new StaffAccountsUnavailableException(e);
        }
    }

    /// <summary>Whether a session has outlived its absolute lifetime; one without a sign-in time (or a bad one) has.</summary>
    public static bool Expired(AuthenticationProperties properties, DateTimeOffset now, TimeSpan absoluteLifetime) =>
        !properties.Items.TryGetValue(SignedInAtKey, out var value)
        || !DateTimeOffset.TryParseExact(value, "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var signedInAt)
        || now - signedInAt >= absoluteLifetime
        || signedInAt > now + TimeSpan.FromMinutes(5);

    /// <summary>Stamps a new sign-in with its time (cookie <c>OnSigningIn</c>); renewals copy the properties, so it stays.</summary>
    public static Task StampSignInAsync(CookieSigningInContext context)
    {
        var time = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>();
        context.Properties.Items[SignedInAtKey] = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        return Task.CompletedTask;
    }

    /// <summary>Ends every session of the account at its next request, wherever its cookie was copied to.</summary>
    public static async Task<IdentityResult> EndAllAsync(UserManager<StaffUser> users, StaffUser user) =>
        await users.UpdateSecurityStampAsync(user);
}

/// <summary>The staff accounts on the primary could not be read to check a session (stopped, restarting, connection lost).</summary>
public sealed class StaffAccountsUnavailableException(Exception inner) : Exception("The staff accounts cannot be read right now.", inner);
