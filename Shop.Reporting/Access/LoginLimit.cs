using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Shop.ServiceDefaults.Security;

namespace Shop.Reporting.Access;

public sealed class LoginLimitOptions
{
    public const string SectionName = "Staff:LoginLimit";

    /// <summary>Sign-in attempts one client address may make per minute.</summary>
    [Range(1, 100_000)]
    public int PerAddressPerMinute { get; set; } = 20;

    /// <summary>Sign-in attempts per account per minute, from any address: slows password guessing spread over many addresses.</summary>
    [Range(1, 100_000)]
    public int PerAccountPerMinute { get; set; } = 10;
}

/// <summary>Sign-in attempts counted in Redis per client address and per account, before the password is checked.</summary>
public sealed class LoginLimit(SharedRateLimiter limiter, IOptions<LoginLimitOptions> options)
{
    public async Task<TimeSpan?> AcquireAsync(HttpContext context, string email)
    {
        var address = (context.Connection.RemoteIpAddress ?? System.Net.IPAddress.None).ToString();
        var byAddress = await limiter.AcquireAsync("login-address", address, RateLimit.PerMinute(options.Value.PerAddressPerMinute));
        var byAccount = await limiter.AcquireAsync("login-account", email.Trim().ToUpperInvariant(), RateLimit.PerMinute(options.Value.PerAccountPerMinute));
        return byAddress > byAccount || byAccount is null ? byAddress : byAccount;
    }
}
