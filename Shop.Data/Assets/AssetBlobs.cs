using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Shop.Data.Assets;

/// <summary>
/// The blob store (Azurite locally) behind the CDN. Aspire's Azure Storage client package is not available
/// from our package source, so the plain SDK is wired here with the same connection-string convention.
/// </summary>
public static class AssetBlobs
{
    public const string ContainerName = "assets";

    public static void AddAssetBlobs(this IHostApplicationBuilder builder, string connectionName)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName)
            ?? throw new InvalidOperationException($"Connection string '{connectionName}' is missing.");
        builder.Services.AddSingleton(new BlobServiceClient(connectionString));
        builder.Services.AddSingleton(sp => sp.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(ContainerName));
        builder.Services.AddHealthChecks().AddCheck<AssetContainerHealthCheck>(connectionName);
    }

    private sealed class AssetContainerHealthCheck(BlobContainerClient container) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                return await container.ExistsAsync(cancellationToken)
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy($"Blob container '{ContainerName}' does not exist.");
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy("Blob store unreachable.", e);
            }
        }
    }
}
