using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Shop.AppHost.Infrastructure;

public static class BlobStore
{
    /// <summary>The container behind the CDN. Its blobs are publicly readable: the edge fetches them anonymously.</summary>
    public const string AssetsContainer = "assets";

    /// <summary>Azurite's fixed development account; its key is published in Azurite's documentation, not a secret.</summary>
    public const string DevelopmentAccount = "devstoreaccount1";
    private const string DevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static ReferenceExpression ConnectionString(string blobEndpoint) => ReferenceExpression.Create(
        $"DefaultEndpointsProtocol=http;AccountName={DevelopmentAccount};AccountKey={DevelopmentKey};BlobEndpoint={blobEndpoint}/{DevelopmentAccount};");

    /// <summary>The blob store counts as ready once it answers and the <c>assets</c> container exists.</summary>
    public static IResourceBuilder<T> WithBlobContainerReadiness<T>(this IResourceBuilder<T> store, IResourceWithConnectionString connection)
        where T : IResource => store.WithReadinessProbe(async cancellationToken =>
        {
            var client = new BlobServiceClient(await connection.GetConnectionStringAsync(cancellationToken));
            await client.GetBlobContainerClient(AssetsContainer)
                .CreateIfNotExistsAsync(PublicAccessType.Blob, cancellationToken: cancellationToken);
        });
}
