using Microsoft.AspNetCore.Http;

namespace Shop.ServiceDefaults.Security;

/// <summary>
/// A per-minute count of one kind of request per client (an IPv4 address or an IPv6 /64, <see cref="ClientAddress"/>),
/// kept in Redis so every instance shares it. Requests sharing a <paramref name="name"/> share one budget.
/// </summary>
public abstract class PerClientLimit(SharedRateLimiter limiter, string name, Func<int> perMinute)
{
    /// <returns>Null when the request may go ahead; otherwise how long to wait.</returns>
    public Task<TimeSpan?> AcquireAsync(HttpContext context) =>
        limiter.AcquireAsync(name, ClientAddress.Partition(context), RateLimit.PerMinute(perMinute()));
}
