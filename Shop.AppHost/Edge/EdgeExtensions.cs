using Shop.AppHost.Infrastructure;
using Shop.AppHost.Local;

namespace Shop.AppHost.Edge;

/// <summary>
/// The edge: nginx in front of everything. <c>/</c> goes to the storefront, <c>/api/</c> is spread round robin over
/// the API instances, <c>/cdn/</c> is a caching proxy of the blob store; a second https port serves the staff reports.
/// </summary>
public static class EdgeExtensions
{
    public const string NginxImage = "docker.io/library/nginx";
    public const string NginxTag = "1.27-alpine";

    /// <returns>The edge's public http endpoint.</returns>
    public static EndpointReference AddEdge(
        this IDistributedApplicationBuilder builder, ShopSettings settings,
        IResourceBuilder<ProjectResource> web, IReadOnlyList<IResourceBuilder<ProjectResource>> apis,
        IResourceBuilder<ProjectResource> reporting, ServiceConnection blobs, EdgeUpstreamHost upstreams)
    {
        var stateDirectory = settings.DataPath(builder, "edge");
        var local = settings.Infrastructure == InfrastructureMode.Local;
        // Inside a container the config refers to its own mount points, not the host's data folder.
        var configRoot = local ? stateDirectory : "/etc/nginx/shop";
        var layout = new EdgeLayout(
            HttpPort: local ? settings.Ports.EdgeHttp : 8080,
            HttpsPort: local ? settings.Ports.EdgeHttps : 8443,
            UpstreamHost: upstreams.Host,
            WebPort: settings.Ports.Web,
            ApiPorts: [.. apis.Select((_, i) => settings.Ports.ApiBase + i)],
            BlobPort: settings.Ports.Blobs,
            StaffHttpsPort: local ? settings.Ports.StaffHttps : 8444,
            ReportingPort: settings.Ports.Reporting,
            StateDirectory: local ? stateDirectory : "/var/cache/nginx",
            CertificateFile: Path.Combine(configRoot, "tls", "edge.crt"),
            CertificateKeyFile: Path.Combine(configRoot, "tls", "edge.key"),
            // Locally the master runs as the AppHost's user; from root, the workers (which parse every request) drop to
            // an unprivileged user. The nginx image's own build makes its workers the nginx user.
            WorkerUser: local ? EdgeLayout.LocalWorker : null,
            RedirectHttpToHttps: settings.Edge.RedirectHttpToHttps,
            PublicHttpsPort: settings.Ports.EdgeHttps);

        var configFile = Path.Combine(stateDirectory, "nginx.conf");
        return local
            ? Configure(builder.AddExecutable("edge", "/usr/sbin/nginx", stateDirectory,
                    "-e", "stderr", "-p", stateDirectory, "-c", configFile, "-g", "daemon off;")
                .WithHttpEndpoint(port: settings.Ports.EdgeHttp, targetPort: settings.Ports.EdgeHttp, name: "http", isProxied: false)
                .WithHttpsEndpoint(port: settings.Ports.EdgeHttps, targetPort: settings.Ports.EdgeHttps, name: "https", isProxied: false)
                .WithHttpsEndpoint(port: settings.Ports.StaffHttps, targetPort: settings.Ports.StaffHttps, name: "staff", isProxied: false))
            : Configure(builder.AddContainer("edge", NginxImage, NginxTag)
                .WithBindMount(configFile, "/etc/nginx/nginx.conf", isReadOnly: true)
                .WithBindMount(Path.Combine(stateDirectory, "tls"), "/etc/nginx/shop/tls", isReadOnly: true)
                .WithHttpEndpoint(port: settings.Ports.EdgeHttp, targetPort: 8080, name: "http")
                .WithHttpsEndpoint(port: settings.Ports.EdgeHttps, targetPort: 8443, name: "https")
                .WithHttpsEndpoint(port: settings.Ports.StaffHttps, targetPort: 8444, name: "staff"));

        EndpointReference Configure<T>(IResourceBuilder<T> edge)
            where T : IResourceWithEndpoints, IResourceWithWaitSupport
        {
            edge.OnBeforeResourceStarted((_, _, _) => PrepareAsync(layout, stateDirectory, configFile))
                .WithHttpHealthCheck(EdgeConfig.HealthPath, endpointName: "http")
                .WaitFor(web)
                .WaitFor(blobs.Resource);
            foreach (var api in apis)
            {
                // The edge starts once every instance is up, but keeps serving when one of them later stops.
                edge.WaitFor(api).WithRelationship(api.Resource, "Upstream");
            }
            // Not waited for: the shop's entrance does not depend on the staff reports; until they are up their port answers 502.
            edge.WithRelationship(reporting.Resource, "Upstream");
            return edge.GetEndpoint("http");
        }
    }

    /// <summary>Where the workers write: request bodies and answers too large for memory, and the caches.</summary>
    public static IReadOnlyList<string> WorkerFolders { get; } =
        ["client_body", "proxy", "fastcgi", "uwsgi", "scgi", "cdn-cache", "catalog-cache", "queue-cache"];

    /// <summary>
    /// Writes the config and the certificate into a private state folder (the TLS key and the cached answers are
    /// nobody else's). The master reads the config and the key before it drops privileges; the workers only need
    /// their own folders, which become their user's (and nginx would otherwise fail to write into those a root worker made).
    /// </summary>
    public static async Task PrepareAsync(EdgeLayout layout, string stateDirectory, string configFile)
    {
        await PrivateFiles.MakePrivateAsync(stateDirectory);
        foreach (var folder in WorkerFolders.Append("tls"))
        {
            Directory.CreateDirectory(Path.Combine(stateDirectory, folder));
        }
        EdgeCertificate.EnsureExists(Path.Combine(stateDirectory, "tls", "edge.crt"), Path.Combine(stateDirectory, "tls", "edge.key"));
        await PrivateFiles.WriteAsync(configFile, EdgeConfig.Generate(layout), CancellationToken.None);
        if (layout.WorkerUser is { } user)
        {
            foreach (var folder in WorkerFolders)
            {
                await LocalProcessExtensions.EnsureOwnedDirectoryAsync(Path.Combine(stateDirectory, folder), user);
            }
        }
    }
}
