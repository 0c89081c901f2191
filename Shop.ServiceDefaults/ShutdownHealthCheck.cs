using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Readiness, not liveness: from the moment the host starts stopping (SIGTERM) <c>/health</c> says so, while
/// Kestrel lets the requests already in flight finish. <c>/alive</c> stays healthy, so nothing restarts a draining instance.
/// </summary>
public sealed class ShutdownHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? HealthCheckResult.Unhealthy("Shutting down: finishing the requests in flight, taking no new ones.")
            : HealthCheckResult.Healthy());
}
