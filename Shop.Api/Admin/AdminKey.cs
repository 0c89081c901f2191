using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

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
}

/// <summary>
/// Signs in a request that carries the staff key. An authentication scheme rather than an endpoint filter: authorization
/// runs before the body is read, so a caller without the key learns nothing from how a malformed body is answered, and the
/// requirement is endpoint metadata that the access tests can see.
/// </summary>
public sealed class AdminKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions, ILoggerFactory logger, UrlEncoder encoder,
    IOptions<AdminOptions> admin, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Request.Headers[AdminOptions.HeaderName].ToString();
        if (presented.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        if (!KeysMatch(presented, admin.Value.Key))
        {
            return Task.FromResult(AuthenticateResult.Fail("The admin key does not match."));
        }
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "staff")], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        await problems.WriteAsync(new()
        {
            HttpContext = Context,
            ProblemDetails = { Status = StatusCodes.Status401Unauthorized, Title = "Staff key required", Detail = $"Send the admin key in the {AdminOptions.HeaderName} header." },
        });
    }

    /// <summary>Compares digests in constant time, so response timing does not reveal how much of a guess was right.</summary>
    private static bool KeysMatch(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
