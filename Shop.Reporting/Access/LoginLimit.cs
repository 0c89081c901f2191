using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Shop.ServiceDefaults.Logging;
using Shop.ServiceDefaults.Redis;
using Shop.ServiceDefaults.Security;
using Shop.Staff;
using StackExchange.Redis;

namespace Shop.Reporting.Access;

public sealed class LoginLimitOptions
{
    public const string SectionName = "Staff:LoginLimit";

    /// <summary>Sign-in attempts one client address may make per minute, on any accounts.</summary>
    [Range(1, 100_000)]
    public int PerAddressPerMinute { get; set; } = 20;

    /// <summary>Wrong passwords for one account from one address per <see cref="FailureWindow"/>; then that address is refused for that account.</summary>
    [Range(1, 10_000)]
    public int FailuresPerAccountAndAddress { get; set; } = 5;

    /// <summary>How long a wrong password counts (from the first one in the window).</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Wrong passwords for one account, from any addresses, before its sign-ins are slowed down.</summary>
    [Range(0, 10_000)]
    public int FreeFailuresPerAccount { get; set; } = 5;

    /// <summary>The wait after <see cref="FreeFailuresPerAccount"/> wrong passwords; it doubles with each further one up to <see cref="MaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan FirstDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait before an account's password is checked: slow for a guesser, bearable for the real person.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>How long an attempt on an account waits, given the wrong passwords for it so far.</summary>
    public TimeSpan DelayAfter(long failures) =>
        failures < FreeFailuresPerAccount ? TimeSpan.Zero
            : TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, FirstDelay.Ticks << (int)Math.Min(failures - FreeFailuresPerAccount, 20)));
}

/// <summary>What the limit says about one sign-in attempt.</summary>
public sealed record LoginAttempt(string Account, string Address, LoginRefusal? Refusal, TimeSpan Delay);

public enum LoginRefusalKind
{
    /// <summary>This address made too many attempts (on any accounts).</summary>
    Address,

    /// <summary>Too many wrong passwords for this account from this address; other addresses may still sign in.</summary>
    AccountFromAddress,
}

public sealed record LoginRefusal(LoginRefusalKind Kind, TimeSpan RetryAfter);

/// <summary>
/// Slows password guessing without letting a guesser lock the real person out (no account lockout). Counted in Redis,
/// shared by every instance, keyed on the account's normalised name (<see cref="StaffNameNormalizer"/>), so every
/// spelling of an e-mail is one account: attempts per client address (any account); wrong passwords per account and
/// address, which past a limit refuse that address for that account only; and wrong passwords per account from any
/// address, which make each further attempt on it wait longer (doubling, capped) before its password is checked. An
/// attempt counts as wrong until it succeeds (then it is taken back), so parallel attempts cannot slip under a limit.
/// With Redis unreachable the attempt goes ahead, as with every limit in the shop.
/// </summary>
public sealed class LoginLimit(SharedRateLimiter limiter, IConnectionMultiplexer redis, IOptions<LoginLimitOptions> options, ILogger<LoginLimit> logger)
{
    // KEYS: this account's wrong passwords from this address, and from anywhere. ARGV: window ms, limit per address.
    // Returns -(ms until the address may try again) when refused, else the account's wrong passwords before this attempt.
    private const string CountScript = """
        local pair = redis.call('INCR', KEYS[1])
        if pair == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        if pair > tonumber(ARGV[2]) then return -math.max(redis.call('PTTL', KEYS[1]), 1) end
        local account = redis.call('INCR', KEYS[2])
        if account == 1 or redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
        return account - 1
        """;

    // A success: this address starts afresh for this account, and the attempt is no longer counted as wrong.
    private const string SucceededScript = """
        redis.call('DEL', KEYS[1])
        if redis.call('DECR', KEYS[2]) <= 0 then redis.call('DEL', KEYS[2]) end
        return 0
        """;

    private readonly RedisTolerance tolerance = new();
    private readonly RateLimitedWarning uncheckedWarning = new(SharedRateLimiter.WarningInterval);

    public async Task<LoginAttempt> AttemptAsync(HttpContext context, string email)
    {
        var limits = options.Value;
        var address = ClientAddress.Of(context);
        var account = StaffNameNormalizer.Normalize(email) ?? "";
        if (await limiter.AcquireAsync("login-address", address, RateLimit.PerMinute(limits.PerAddressPerMinute)) is { } wait)
        {
            return new(account, address, new(LoginRefusalKind.Address, wait), TimeSpan.Zero);
        }
        var counted = await RunAsync(CountScript, account, address, [(long)limits.FailureWindow.TotalMilliseconds, limits.FailuresPerAccountAndAddress]);
        return counted switch
        {
            < 0 => new(account, address, new(LoginRefusalKind.AccountFromAddress, TimeSpan.FromMilliseconds(-counted.Value)), TimeSpan.Zero),
            { } failures => new(account, address, null, limits.DelayAfter(failures)),
            null => new(account, address, null, TimeSpan.Zero),
        };
    }

    public async Task SucceededAsync(LoginAttempt attempt) => await RunAsync(SucceededScript, attempt.Account, attempt.Address, []);

    private async Task<long?> RunAsync(string script, string account, string address, RedisValue[] arguments)
    {
        try
        {
            return (long)await tolerance.RunAsync(() => redis.GetDatabase().ScriptEvaluateAsync(script,
                [$"ratelimit:login-failures:{account}|{address}", $"ratelimit:login-failures:{account}"], arguments));
        }
        catch (Exception e) when (Shop.ServiceDefaults.Redis.RedisFailure.Is(e))
        {
            if (uncheckedWarning.ShouldWarn(out var suppressed))
            {
                logger.LogWarning(e, "Sign-in failures not counted for {Count} attempt(s): Redis did not answer", suppressed + 1);
            }
            return null;
        }
    }
}
