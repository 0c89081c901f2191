using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;

namespace Shop.Staff;

/// <summary>
/// Makes sure the roles exist and that <c>admin@shop.local</c> exists with the password of the AppHost's secret
/// parameter <c>staff-admin-password</c>: changing the parameter changes the password at the next start.
/// </summary>
public sealed class StaffSeeder(UserManager<StaffUser> users, RoleManager<IdentityRole> roles, ILogger<StaffSeeder> logger)
{
    public async Task SeedAsync(string adminPassword)
    {
        foreach (var role in new[] { StaffRoles.Staff, StaffRoles.Admin })
        {
            if (!await roles.RoleExistsAsync(role))
            {
                Check(await roles.CreateAsync(new IdentityRole(role)), $"create role {role}");
            }
        }

        var admin = await users.FindByEmailAsync(StaffRoles.AdminEmail);
        if (admin is null)
        {
            admin = new StaffUser { UserName = StaffRoles.AdminEmail, Email = StaffRoles.AdminEmail, EmailConfirmed = true };
            Check(await users.CreateAsync(admin, adminPassword), "create the admin account");
            logger.LogInformation("Created the staff admin account {Email}", StaffRoles.AdminEmail);
        }
        else if (!await users.CheckPasswordAsync(admin, adminPassword))
        {
            Check(await users.RemovePasswordAsync(admin), "clear the admin password");
            Check(await users.AddPasswordAsync(admin, adminPassword), "set the admin password");
            logger.LogInformation("Set the staff admin password from the staff-admin-password parameter");
        }
        foreach (var role in new[] { StaffRoles.Staff, StaffRoles.Admin })
        {
            if (!await users.IsInRoleAsync(admin, role))
            {
                Check(await users.AddToRoleAsync(admin, role), $"give the admin the {role} role");
            }
        }
    }

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not {what}: {string.Join(" ", result.Errors.Select(e => e.Description))}");
        }
    }
}
