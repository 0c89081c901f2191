using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
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
            .AddEntityFrameworkStores<StaffDbContext>();
        builder.Services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.Name = "shop.staff";
            cookie.Cookie.HttpOnly = true;
            // Secure whenever the request is https (the edge terminates TLS; reports are also served directly on 8090).
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.SlidingExpiration = true;
            cookie.LoginPath = LoginPath;
            cookie.Events.OnRedirectToLogin = context => RefuseAsync(context, StatusCodes.Status401Unauthorized);
            cookie.Events.OnRedirectToAccessDenied = context => RefuseAsync(context, StatusCodes.Status403Forbidden);
        });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(StaffPolicy, policy => policy.RequireRole(StaffRoles.Staff, StaffRoles.Admin))
            .AddPolicy(AdminPolicy, policy => policy.RequireRole(StaffRoles.Admin));
        builder.Services.AddCascadingAuthenticationState();
        builder.AddRedisClient("redis", configureOptions: options =>
        {
            // A dead Redis must not stall sign-in: the limit then lets attempts through (Identity's lockout still counts).
            options.AbortOnConnectFail = false;
            options.BacklogPolicy = StackExchange.Redis.BacklogPolicy.FailFast;
            options.AsyncTimeout = 1000;
        });
        builder.Services.AddSingleton<SharedRateLimiter>();
        builder.Services.AddOptions<LoginLimitOptions>().BindConfiguration(LoginLimitOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<LoginLimit>();
        // The sign-in cookie and antiforgery tokens stay valid across restarts and instances.
        builder.AddSharedDataProtection("shop-reporting");
        // Stated, not left to defaults: a browser-session cookie (no Expires), never sent cross-site, never read by script.
        builder.Services.AddAntiforgery(options =>
        {
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.HttpOnly = true;
        });
    }

    /// <summary>Sign-out is a form post (with its antiforgery token), so no link or image on another site can sign staff out.</summary>
    public static void MapStaffAccess(this IEndpointRouteBuilder app) =>
        app.MapPost("/logout", async Task<Results<RedirectHttpResult, ProblemHttpResult>> (HttpContext context, SignInManager<StaffUser> signIn) =>
            {
                // UseAntiforgery only records its verdict; an endpoint that binds no form must act on it itself.
                if (context.Features.Get<Microsoft.AspNetCore.Antiforgery.IAntiforgeryValidationFeature>() is { IsValid: false })
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid antiforgery token",
                        detail: "Sign out with the form on the page.");
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
