using Shop.AppHost.Infrastructure;

namespace Shop.AppHost.Local;

/// <summary>The Azurite blob service from npm (installed by <c>./shop</c> into the repository's node_modules).</summary>
public static class LocalAzurite
{
    public static IResourceBuilder<LocalServerResource> AddLocalAzurite(
        this IDistributedApplicationBuilder builder, string name, int port, string dataDirectory, string repositoryRoot)
    {
        var azurite = new LocalServerResource(name, Path.Combine(repositoryRoot, "node_modules", ".bin", "azurite-blob"), dataDirectory)
        {
            ConnectionStringExpression = BlobStore.ConnectionString($"http://127.0.0.1:{port}"),
        };

        return builder.AddResource(azurite)
            .WithArgs("--blobHost", "127.0.0.1", "--blobPort", port.ToString(), "--location", dataDirectory,
                "--skipApiVersionCheck", "--loose")
            .WithHttpEndpoint(port: port, targetPort: port, name: "http", isProxied: false)
            // Its blobs are private to the AppHost's user, as every server's data is (PrivateFiles).
            .OnBeforeResourceStarted((_, _, _) => PrivateFiles.MakePrivateAsync(dataDirectory))
            .WithBlobContainerReadiness(azurite);
    }
}
