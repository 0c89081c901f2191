using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.ServiceDiscovery;
using Shop.ServiceDefaults.Logging;

namespace Shop.Web.Platform;

/// <summary>
/// The API instances the storefront talks to, directly and round robin, never back through the edge: catalog reads,
/// orders and the current sale. No retry policy and no circuit breaker: an instance that answers, even 503 or 429, has
/// answered, and that answer is what the page gets (asking another instance would only multiply the load of an
/// overloaded shop). Only a request that could not be delivered (the instance refused or reset the connection, or did
/// not accept it within <see cref="ApiOptions.ConnectTimeout"/>) goes to the next instance, once; a request that may
/// have reached its instance only when it is safe to repeat (a GET, or a POST with an <c>Idempotency-Key</c>).
/// Each attempt is bounded by <see cref="ApiOptions.Timeout"/>.
/// </summary>
public sealed class ApiInstances : IDisposable
{
    private readonly ServiceEndpointResolver resolver;
    private readonly string serviceName;
    private readonly TimeSpan timeout;
    private readonly ILogger<ApiInstances> logger;
    private readonly HttpClient http;
    private int next = -1;
    // While an instance is down every third request fails over; one warning per interval says so, not one per request.
    private readonly RateLimitedWarning failedOver = new(TimeSpan.FromSeconds(10));

    public ApiInstances(ServiceEndpointResolver resolver, IOptions<ApiOptions> options, ILogger<ApiInstances> logger)
    {
        this.resolver = resolver;
        this.logger = logger;
        serviceName = options.Value.Instances;
        timeout = options.Value.Timeout;
        // Not from IHttpClientFactory: every attempt is decided here, and nothing else may add one.
        http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = options.Value.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            // Bounded per attempt below, where a connect that timed out can be told from an answer that did not come.
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>A GET of <paramref name="pathAndQuery"/> from one instance, or from the next when the first cannot be reached.</summary>
    public Task<HttpResponseMessage> GetAsync(string pathAndQuery, CancellationToken cancellationToken = default) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Get, pathAndQuery), cancellationToken);

    /// <summary>
    /// Sends the request <paramref name="newRequest"/> makes (relative to an instance) to one instance; it is asked for a
    /// second copy only when the first could not be delivered.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> newRequest, CancellationToken cancellationToken = default)
    {
        var endpoints = (await resolver.GetEndpointsAsync(serviceName, cancellationToken)).Endpoints;
        if (endpoints.Count == 0)
        {
            throw new HttpRequestException(HttpRequestError.NameResolutionError, $"Service discovery knows no instance of {serviceName}.");
        }
        var first = (int)((uint)Interlocked.Increment(ref next) % (uint)endpoints.Count);
        using var request = newRequest();
        try
        {
            return await SendToAsync(endpoints[first].EndPoint, request, cancellationToken);
        }
        catch (HttpRequestException e) when (endpoints.Count > 1 && !cancellationToken.IsCancellationRequested && Undelivered(e, request))
        {
            var second = endpoints[(first + 1) % endpoints.Count].EndPoint;
            if (failedOver.ShouldWarn(out var suppressed))
            {
                logger.LogWarning("{Method} {Path} could not be delivered to {Instance} ({Error}); trying {Next} once ({Suppressed} more since the last warning)",
                    request.Method, request.RequestUri?.AbsolutePath, endpoints[first].EndPoint, e.HttpRequestError,
                    second, suppressed);
            }
            using var again = newRequest();
            return await SendToAsync(second, again, cancellationToken);
        }
    }

    private async Task<HttpResponseMessage> SendToAsync(EndPoint instance, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // From the text: on Unix a Uri made of "/api/…" alone is an absolute file: URI, which would replace the base.
        request.RequestUri = new Uri(BaseAddress(instance), request.RequestUri!.OriginalString);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(timeout);
        try
        {
            return await http.SendAsync(request, attempt.Token);
        }
        catch (OperationCanceledException) when (attempt.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The same shape as HttpClient.Timeout's, which the busy page (ApiUnavailableHandler) knows.
            throw new TaskCanceledException($"{instance} did not answer {request.Method} {request.RequestUri?.AbsolutePath} within {timeout.TotalSeconds:0.#} s.",
                new TimeoutException(), attempt.Token);
        }
        catch (TaskCanceledException e) when (e.InnerException is TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            // Not our timeout and not the caller's: the handler's ConnectTimeout, so the request never left.
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"{instance} did not accept a connection in time.", e);
        }
    }

    /// <summary>
    /// Whether the request surely never reached its instance (a connection refused or not accepted in time), or may
    /// have (cut off before an answer) but is safe to repeat. A timeout waiting for the answer is neither: the
    /// instance is still working on it.
    /// </summary>
    private static bool Undelivered(Exception e, HttpRequestMessage request) => e switch
    {
        HttpRequestException { StatusCode: null, HttpRequestError: HttpRequestError.ConnectionError } => true,
        HttpRequestException { StatusCode: null } => SafeToRepeat(request),
        _ => false,
    };

    private static bool SafeToRepeat(HttpRequestMessage request) =>
        request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Headers.Contains("Idempotency-Key");

    private static Uri BaseAddress(EndPoint endPoint) => endPoint switch
    {
        UriEndPoint uri => uri.Uri,
        DnsEndPoint dns => new Uri($"http://{dns.Host}:{dns.Port}"),
        IPEndPoint ip => new Uri($"http://{ip}"),
        _ => throw new InvalidOperationException($"Unsupported endpoint {endPoint}."),
    };

    public void Dispose() => http.Dispose();
}
