using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.ServiceDiscovery;

namespace Shop.Web.Catalog;

/// <summary>
/// The API instances the storefront reads the catalog from, directly and round robin (never back through the edge).
/// No retry policy and no circuit breaker: an instance that answers, even 503, has answered; only an instance that
/// cannot be reached at all (refused, reset) hands the read to the next instance, once. Each attempt is bounded by
/// <see cref="CatalogReadOptions.Timeout"/>.
/// </summary>
public sealed class CatalogApiInstances : IDisposable
{
    private readonly ServiceEndpointResolver resolver;
    private readonly string serviceName;
    private readonly ILogger<CatalogApiInstances> logger;
    private readonly HttpClient http;
    private int next = -1;
    // While an instance is down every third read fails over; one warning every ten seconds says so, not one per read.
    private static readonly TimeSpan WarnEvery = TimeSpan.FromSeconds(10);
    private long lastWarning = long.MinValue / 2;

    public CatalogApiInstances(ServiceEndpointResolver resolver, IOptions<CatalogReadOptions> options, ILogger<CatalogApiInstances> logger)
    {
        this.resolver = resolver;
        this.logger = logger;
        serviceName = options.Value.Api;
        // Not from IHttpClientFactory: its defaults add the standard resilience handler (retries, a breaker) to every client.
        http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = options.Value.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            Timeout = options.Value.Timeout,
        };
    }

    /// <summary>A GET of <paramref name="pathAndQuery"/> from one instance, or from the next when the first cannot be reached.</summary>
    public async Task<HttpResponseMessage> GetAsync(string pathAndQuery, CancellationToken cancellationToken = default)
    {
        var endpoints = (await resolver.GetEndpointsAsync(serviceName, cancellationToken)).Endpoints;
        if (endpoints.Count == 0)
        {
            throw new HttpRequestException(HttpRequestError.NameResolutionError, $"Service discovery knows no instance of {serviceName}.");
        }
        var first = (int)((uint)Interlocked.Increment(ref next) % (uint)endpoints.Count);
        try
        {
            return await http.GetAsync(new Uri(BaseAddress(endpoints[first].EndPoint), pathAndQuery), cancellationToken);
        }
        catch (HttpRequestException e) when (e.StatusCode is null && endpoints.Count > 1 && !cancellationToken.IsCancellationRequested)
        {
            var second = endpoints[(first + 1) % endpoints.Count].EndPoint;
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref lastWarning);
            if (now - last >= WarnEvery.TotalMilliseconds && Interlocked.CompareExchange(ref lastWarning, now, last) == last)
            {
                logger.LogWarning("Catalog read from {Instance} failed ({Error}); trying {Next} once", endpoints[first].EndPoint, e.HttpRequestError, second);
            }
            return await http.GetAsync(new Uri(BaseAddress(second), pathAndQuery), cancellationToken);
        }
    }

    private static Uri BaseAddress(EndPoint endPoint) => endPoint switch
    {
        UriEndPoint uri => uri.Uri,
        DnsEndPoint dns => new Uri($"http://{dns.Host}:{dns.Port}"),
        IPEndPoint ip => new Uri($"http://{ip}"),
        _ => throw new InvalidOperationException($"Unsupported endpoint {endPoint}."),
    };

    public void Dispose() => http.Dispose();
}
