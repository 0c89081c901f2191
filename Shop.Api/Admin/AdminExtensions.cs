using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Shop.ServiceDefaults.Security;

namespace Shop.Api.Admin;

public static class AdminExtensions
{
    public static void AddAdmin(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        // Wrong keys are counted in Redis, so the instances share one count per address.
        builder.Services.TryAddSingleton<SharedRateLimiter>();
        builder.Services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, AdminKeyAuthentication>(AdminOptions.Policy, null);
        builder.Services.AddAuthorizationBuilder().AddPolicy(AdminOptions.Policy, policy => policy
            .AddAuthenticationSchemes(AdminOptions.Policy).RequireAuthenticatedUser());
    }

    /// <summary>Every endpoint of the group answers only a caller that sends the staff key (<see cref="AdminKeyAuthentication"/>).</summary>
    public static RouteGroupBuilder RequireAdminKey(this RouteGroupBuilder group) => group.RequireAuthorization(AdminOptions.Policy);
}
