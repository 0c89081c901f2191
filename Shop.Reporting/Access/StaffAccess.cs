using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Shop.ServiceDefaults.Endpoints;
using Shop.ServiceDefaults.Redis;
using Shop.ServiceDefaults.Security;
using Shop.Staff;

namespace Shop.Reporting.Access;

/// <summary>Who may read reports (staff and admins) and who may add staff (admins), with the staff sign-in cookie.</summary>
public static class StaffAccess
{
    public const string StaffPolicy = "Staff";
    public const string AdminPolicy = "Admin";
    public const string LoginPath = "/login";

    public static void AddStaffAccess(this IHostApplicationBuilder builder)
    {
        builder.AddStaffDbContext();
        builder.Services.AddIdentity<StaffUser, IdentityRole>(StaffExtensions.ConfigurePasswords)
            .AddEntityFrameworkStores<StaffDbContext>()
            // The password-reset token provider: an admin sets a staff password by reset (validated, stamp changed).
            .AddDefaultTokenProviders();
        builder.Services.AddStaffNameNormalizer();
        builder.Services.AddOptions<StaffSessionOptions>().BindConfiguration(StaffSessionOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        // Every request checks the account's security stamp (StaffSessionValidator): sign-out, disabling, removing an
        // account or changing its password ends its sessions at once, copied cookies included.
        builder.Services.Configure<SecurityStampValidatorOptions>(options => options.ValidationInterval = TimeSpan.Zero);
        builder.Services.Replace(ServiceDescriptor.Scoped<ISecurityStampValidator, StaffSessionValidator>());
        builder.Services.AddOptions<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme)
            .Configure<IOptions<StaffSessionOptions>>((cookie, sessions) => cookie.ExpireTimeSpan = sessions.Value.IdleTimeout);
        builder.Services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.Name = "shop.staff";
            cookie.Cookie.HttpOnly = true;
            // Secure whenever the request is https (the edge terminates TLS; reports are also served directly on 8090).
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            // ExpireTimeSpan is Staff:Session:IdleTimeout (above); the sign-in time bounds the session's whole life.
            cookie.SlidingExpiration = true;
            cookie.LoginPath = LoginPath;
            cookie.Events.OnSigningIn = StaffSessionValidator.StampSignInAsync;
            cookie.Events.OnRedirectToLogin = context => RefuseAsync(context, StatusCodes.Status401Unauthorized);
            cookie.Events.OnRedirectToAccessDenied = context => RefuseAsync(context, StatusCodes.Status403Forbidden);
        });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(StaffPolicy, policy => policy.RequireRole(StaffRoles.Staff, StaffRoles.Admin))
            .AddPolicy(AdminPolicy, policy => policy.RequireRole(StaffRoles.Admin));
        builder.Services.AddScoped<StaffAccounts>();
        builder.Services.AddCascadingAuthenticationState();
        // A dead Redis must not stall sign-in: the limit then lets attempts through (sessions are checked in the database).
        builder.AddRedisClient(RedisStores.State, configureOptions: FailFastRedis.Options(asyncTimeoutMs: 1000));
        builder.Services.AddSingleton<SharedRateLimiter>();
        builder.Services.AddOptions<LoginLimitOptions>().BindConfiguration(LoginLimitOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<LoginLimit>();
        // The sign-in cookie and antiforgery tokens stay valid across restarts and instances.
        builder.AddSharedDataProtection("shop-reporting");
        builder.Services.AddSiteAntiforgery();
    }

    /// <summary>
    /// Sign-out is a form post (with its antiforgery token), so no link or image on another site can sign staff out. It
    /// ends every session of the account (its security stamp changes), in other browsers too.
    /// </summary>
    public static void MapStaffAccess(this IEndpointRouteBuilder app) =>
        app.MapPost("/logout", async Task<Results<RedirectHttpResult, ProblemHttpResult>> (HttpContext context, SignInManager<StaffUser> signIn) =>
            {
                // UseAntiforgery only records its verdict; an endpoint that binds no form must act on it itself.
                if (context.Features.Get<Microsoft.AspNetCore.Antiforgery.IAntiforgeryValidationFeature>() is { IsValid: false })
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid antiforgery token",
                        detail: "Sign out with the form on the page.");
                }
                // Deleting the cookie in this browser is not enough: a copy of it would still open the reports.
                if (await signIn.UserManager.GetUserAsync(context.User) is { } user)
                {
                    await StaffSessionValidator.EndAllAsync(signIn.UserManager, user);
                }
                await signIn.SignOutAsync();
                return TypedResults.LocalRedirect(LoginPath);
            })
            .RequireAuthorization()
            .WithMetadata(new Microsoft.AspNetCore.Antiforgery.RequireAntiforgeryTokenAttribute());

    /// <summary>
    /// A page (a Razor component) is for a person in a browser; every other endpoint (the CSV exports, JSON, form posts)
    /// is for a program and answers its errors as problem details. The one rule Reporting decides that by.
    /// </summary>
    public static bool IsPage(Endpoint? endpoint) => endpoint?.Metadata.GetMetadata<ComponentTypeMetadata>() is not null;

    /// <summary>
    /// How Reporting says no, decided here for every endpoint rather than by each handler's return type (which made
    /// ASP.NET Core answer 401 for one export and redirect for the others): a page sends an anonymous visitor to sign in
    /// and answers a signed-in account without the role with a plain 403 (the error page); anything else gets a 401 or
    /// 403 problem with no <c>Location</c>, since a script cannot sign in on a form.
    /// </summary>
    private static Task RefuseAsync(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (IsPage(context.HttpContext.GetEndpoint()))
        {
            if (status == StatusCodes.Status401Unauthorized)
            {
                context.Response.Redirect(context.RedirectUri);
            }
            else
            {
                context.Response.StatusCode = status;
            }
            return Task.CompletedTask;
        }
        // Problem(...).ExecuteAsync writes problem+json whatever the request accepts (a CSV download may accept only text/csv).
        return (status == StatusCodes.Status401Unauthorized
                ? TypedResults.Problem(statusCode: status, title: "Sign-in required", detail: $"Sign in as staff at {LoginPath} first; the sign-in cookie then opens the reports.")
                : TypedResults.Problem(statusCode: status, title: "Not allowed", detail: "This account may not read this; ask an admin for the staff role."))
            .ExecuteAsync(context.HttpContext);
    }
}
