using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Shop.AppHost.Infrastructure;

public static class ReadinessProbes
{
    /// <summary>Registers a readiness probe for the resource; it counts as healthy once the probe returns without throwing.</summary>
    public static IResourceBuilder<T> WithReadinessProbe<T>(
        this IResourceBuilder<T> resource, Func<CancellationToken, Task> probe) where T : IResource
    {
        var key = $"{resource.Resource.Name}-ready";
        resource.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            key,
            _ => new DelegateHealthCheck(probe),
            failureStatus: HealthStatus.Unhealthy,
            tags: null,
            timeout: TimeSpan.FromSeconds(10)));
        return resource.WithHealthCheck(key);
    }

    /// <summary>
    /// Postgres answers a query. Probes the maintenance database: the shop's own database appears only once
    /// migrations ran, and a standby must count as ready before that.
    /// </summary>
    public static async Task PostgresAsync(IResourceWithConnectionString server, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnectionStringBuilder(await server.GetConnectionStringAsync(cancellationToken))
        {
            Database = "postgres",
            Pooling = false,
            Timeout = 3,
        };
        await using var dataSource = NpgsqlDataSource.Create(connection);
        await using var command = dataSource.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    private sealed class DelegateHealthCheck(Func<CancellationToken, Task> probe) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await probe(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, e.Message, e);
            }
        }
    }
}
