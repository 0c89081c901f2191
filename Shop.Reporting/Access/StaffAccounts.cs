using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Shop.Staff;

namespace Shop.Reporting.Access;

/// <summary>
/// What an admin does to staff accounts on <c>/staff</c>. Each change that takes access away ends the account's sessions
/// at once (<see cref="StaffSessionValidator.EndAllAsync"/>), and none may leave the shop without an active admin.
/// Disabling is Identity's lockout with no end (the sign-in refuses it before the password is checked).
/// </summary>
public sealed class StaffAccounts(UserManager<StaffUser> users, ILogger<StaffAccounts> logger)
{
    public sealed record Account(string Id, string Email, string Roles, bool Disabled);

    /// <summary>The answer to one admin action, with the HTTP status the page answers with when it was refused.</summary>
    public sealed record Outcome(bool Succeeded, string Message, int Status = StatusCodes.Status200OK)
    {
        public static Outcome Done(string message) => new(true, message);

        public static Outcome Refused(string message, int status = StatusCodes.Status400BadRequest) => new(false, message, status);
    }

    public async Task<List<Account>> ListAsync()
    {
        var accounts = new List<Account>();
        foreach (var user in await users.Users.OrderBy(u => u.Email).ToListAsync())
        {
            accounts.Add(new(user.Id, user.Email ?? user.UserName ?? "", string.Join(", ", await users.GetRolesAsync(user)), IsDisabled(user)));
        }
        return accounts;
    }

    public async Task<Outcome> DisableAsync(ClaimsPrincipal admin, string id)
    {
        if (await users.FindByIdAsync(id) is not { } user)
        {
            return NotFound();
        }
        if (await LastAdminAsync(user))
        {
            return LastAdmin(user, "disable");
        }
        var result = await users.SetLockoutEnabledAsync(user, true);
        result = result.Succeeded ? await users.SetLockoutEndDateAsync(user, DateTimeOffset.MaxValue) : result;
        result = result.Succeeded ? await StaffSessionValidator.EndAllAsync(users, user) : result;
        return Report(result, user, "Disabled", admin);
    }

    public async Task<Outcome> EnableAsync(ClaimsPrincipal admin, string id)
    {
        if (await users.FindByIdAsync(id) is not { } user)
        {
            return NotFound();
        }
        var result = await users.SetLockoutEndDateAsync(user, null);
        return Report(result, user, "Enabled", admin);
    }

    public async Task<Outcome> RemoveAsync(ClaimsPrincipal admin, string id)
    {
        if (await users.FindByIdAsync(id) is not { } user)
        {
            return NotFound();
        }
        if (await LastAdminAsync(user))
        {
            return LastAdmin(user, "remove");
        }
        // Its sessions end with it: the stamp check finds no account.
        return Report(await users.DeleteAsync(user), user, "Removed", admin);
    }

    /// <summary>A reset (checked against the password rules, the stamp changed), so the old sessions end.</summary>
    public async Task<Outcome> SetPasswordAsync(ClaimsPrincipal admin, string id, string password)
    {
        if (await users.FindByIdAsync(id) is not { } user)
        {
            return NotFound();
        }
        var result = await users.ResetPasswordAsync(user, await users.GeneratePasswordResetTokenAsync(user), password);
        return Report(result, user, "Set a new password for", admin);
    }

    private static bool IsDisabled(StaffUser user) => user.LockoutEnd > DateTimeOffset.UtcNow;

    /// <summary>Whether <paramref name="user"/> is the only active admin, so disabling or removing it leaves none.</summary>
    private async Task<bool> LastAdminAsync(StaffUser user) =>
        !IsDisabled(user) && await users.IsInRoleAsync(user, StaffRoles.Admin)
        && !(await users.GetUsersInRoleAsync(StaffRoles.Admin)).Any(other => other.Id != user.Id && !IsDisabled(other));

    private static Outcome LastAdmin(StaffUser user, string verb) =>
        Outcome.Refused($"{user.Email} is the only active admin: add or enable another admin before you {verb} this account.", StatusCodes.Status409Conflict);

    private static Outcome NotFound() => Outcome.Refused("There is no such staff account (it may just have been removed).", StatusCodes.Status404NotFound);

    private Outcome Report(IdentityResult result, StaffUser user, string done, ClaimsPrincipal admin)
    {
        if (!result.Succeeded)
        {
            return Outcome.Refused(string.Join(" ", result.Errors.Select(e => e.Description)));
        }
        logger.LogInformation("{Done} staff account {Email} (by {Admin})", done, user.Email, admin.Identity?.Name);
        return Outcome.Done($"{done} {user.Email}.");
    }
}
