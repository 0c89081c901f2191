using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Shop.ServiceDefaults.Security;

namespace Shop.Api.Admin;

/// <summary>The staff key: the AppHost's secret parameter <c>admin-key</c>, handed to the API as <c>Admin:Key</c>.</summary>
public sealed class AdminOptions
{
    public const string SectionName = "Admin";
    public const string HeaderName = "X-Admin-Key";
    /// <summary>The authorization policy of every <c>/api/admin</c> endpoint (and the authentication scheme behind it).</summary>
    public const string Policy = "AdminKey";

    [Required(ErrorMessage = "Admin:Key is required (the AppHost passes its admin-key parameter).")]
    [MinLength(16, ErrorMessage = "Admin:Key must be at least 16 characters long.")]
    public string Key { get; set; } = "";

    /// <summary>
    /// Wrong keys one client address may send per <see cref="FailureWindow"/>; after that every admin call from it is
    /// a 429 until the window ends, the right key included, so guessing is slow however the guesses are spread.
    /// </summary>
    [Range(1, 100_000)]
    public int FailuresPerAddress { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Signs in a request that carries the staff key. An authentication scheme rather than an endpoint filter: authorization
/// runs before the body is read, so a caller without the key learns nothing from how a malformed body is answered, and the
/// requirement is endpoint metadata that the access tests can see. The key is only looked at when it arrived over https
/// (or straight from this machine), and not from an address that has sent too many wrong ones.
/// </summary>
public sealed class AdminKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions, ILoggerFactory logger, UrlEncoder encoder,
    IOptions<AdminOptions> admin, IProblemDetailsService problems, SharedRateLimiter limiter)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    private const string FailureLimitName = "admin-key-failures";

    private RateLimit FailureLimit => new(admin.Value.FailuresPerAddress, admin.Value.FailureWindow);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Request.Headers[AdminOptions.HeaderName].ToString();
        if (presented.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }
        if (!AdminTransport.IsPrivate(Context))
        {
            return AuthenticateResult.Fail(new AdminKeyRefused(StatusCodes.Status403Forbidden, "HTTPS Required",
                "Admin calls are accepted over https only, so the admin key never travels in clear text. Send this request to the shop's https address."));
        }
        var address = ClientAddress.Of(Context);
        if (await limiter.PeekAsync(FailureLimitName, address, FailureLimit) is { } wait)
        {
            return AuthenticateResult.Fail(new AdminKeyRefused(StatusCodes.Status429TooManyRequests, "Too many wrong admin keys",
                $"More than {admin.Value.FailuresPerAddress} wrong admin keys came from your network address. Try again in {SharedRateLimiter.RetryAfterSeconds(wait)} seconds.",
                wait));
        }
        if (!KeysMatch(presented, admin.Value.Key))
        {
            await limiter.AcquireAsync(FailureLimitName, address, FailureLimit);
            return AuthenticateResult.Fail("The admin key does not match.");
        }
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "staff")], Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var refused = (await HandleAuthenticateOnceSafeAsync()).Failure as AdminKeyRefused;
        var status = refused?.Status ?? StatusCodes.Status401Unauthorized;
        Response.StatusCode = status;
        if (refused?.RetryAfter is { } wait)
        {
            SharedRateLimiter.SetRetryAfter(Response, wait);
        }
        await problems.WriteAsync(new()
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = status,
                Title = refused?.Title ?? "Staff key required",
                Detail = refused?.Message ?? $"Send the admin key in the {AdminOptions.HeaderName} header.",
            },
        });
    }

    /// <summary>Compares digests in constant time, so response timing does not reveal how much of a guess was right.</summary>
    private static bool KeysMatch(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}

/// <summary>Why a key was not even looked at: the answer's status and words.</summary>
public sealed class AdminKeyRefused(int status, string title, string detail, TimeSpan? retryAfter = null) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>Where an admin call came from, and whether its key could have been read on the way.</summary>
public static class AdminTransport
{
    /// <summary>Headers a proxy adds; the forwarded-headers middleware moves what it applied to <c>X-Original-*</c>.</summary>
    private static readonly string[] ProxyHeaders = ["X-Forwarded-For", "X-Forwarded-Proto", "X-Original-For", "X-Original-Proto", "Forwarded"];

    /// <summary>
    /// Over https (the edge forwards the scheme), or straight from this machine with no proxy in between: the key
    /// crossed no network in clear. A proxy that says it took the call over http (another ingress, a misrouted port)
    /// is refused here as at the edge, and so is a plain-http call from any other machine.
    /// </summary>
    public static bool IsPrivate(HttpContext context) =>
        context.Request.IsHttps
        || (!ProxyHeaders.Any(context.Request.Headers.ContainsKey) && context.Connection.RemoteIpAddress is { } remote
            && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote));
}
