using Microsoft.AspNetCore.Authentication.Cookies;
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
            // Signed in but not staff: a plain 403, not a redirect to yet another page.
            cookie.Events.OnRedirectToAccessDenied = context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
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

    /// <summary>Only a path on this site, so the login page cannot be used to send staff elsewhere.</summary>
    public static string SafeReturnUrl(string? url) =>
        url is { Length: > 0 } && url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\") ? url : "/";
}
