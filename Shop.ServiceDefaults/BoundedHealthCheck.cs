using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Runs a health check off the request's thread and stops waiting for it when the registration's timeout cancels,
/// even if the check (or the service it resolves) blocks and never looks at the token. The health service then
/// reports that check as timed out instead of the whole probe hanging.
/// </summary>
internal sealed class BoundedHealthCheck(Func<IHealthCheck> create) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.Run(() => create().CheckHealthAsync(context, cancellationToken), cancellationToken).WaitAsync(cancellationToken);
}
