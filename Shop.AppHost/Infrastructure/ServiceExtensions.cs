namespace Shop.AppHost.Infrastructure;

public static class ServiceExtensions
{
    /// <summary>
    /// A .NET service on a fixed port of its own (no orchestrator proxy in front), so the edge can address each
    /// instance directly and a stopped instance refuses connections instead of hanging behind a proxy.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddService<TProject>(
        this IDistributedApplicationBuilder builder, string name, int? port = null) where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>(name, launchProfileName: null)
            .WithHttpEndpoint(port: port, targetPort: port, name: "http", isProxied: port is null)
            .WithEnvironment("Shop__Service__InstanceName", name)
            .WithHttpHealthCheck("/health");

    /// <summary>
    /// Instances <c>name-1</c> … <c>name-count</c> of one service, each wired by <paramref name="wire"/>; on ports from
    /// <paramref name="firstPort"/> up, or on ports of the orchestrator's choosing when it is null.
    /// </summary>
    public static IReadOnlyList<IResourceBuilder<ProjectResource>> AddReplicas<TProject>(
        this IDistributedApplicationBuilder builder, string name, int count, int? firstPort,
        Func<IResourceBuilder<ProjectResource>, IResourceBuilder<ProjectResource>> wire) where TProject : IProjectMetadata, new() =>
        [.. Enumerable.Range(0, count).Select(i => wire(builder.AddService<TProject>($"{name}-{i + 1}", firstPort + i)))];

    /// <summary>The key that signs waiting-room tickets and admissions: the API issues them, the storefront and the workers check them.</summary>
    public static IResourceBuilder<ProjectResource> WithWaitingRoomKey(
        this IResourceBuilder<ProjectResource> service, IResourceBuilder<ParameterResource> signingKey) =>
        service.WithEnvironment("WaitingRoom__SigningKey", signingKey);

    /// <summary>The per-address join limit and the backlog at which admission slows down.</summary>
    public static IResourceBuilder<ProjectResource> WithWaitingRoomLimits(this IResourceBuilder<ProjectResource> api, WaitingRoomSettings settings) =>
        api.WithEnvironment("WaitingRoom__JoinLimit", settings.JoinLimit.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("WaitingRoom__JoinLimitWindow", TimeSpan.FromSeconds(settings.JoinLimitWindowSeconds).ToString("c"))
            .WithEnvironment("WaitingRoom__BacklogThreshold", settings.BacklogThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The per-address order limit; the storefront's checkout calls (all from its own address) are counted by the storefront instead.</summary>
    public static IResourceBuilder<ProjectResource> WithOrderRateLimit(
        this IResourceBuilder<ProjectResource> service, RateLimitSettings settings, string? storefrontAddress = null)
    {
        service.WithEnvironment("Orders__RateLimitPerMinute", settings.OrdersPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return storefrontAddress is null ? service : service.WithEnvironment("Orders__RateLimitExempt__0", storefrontAddress);
    }

    /// <summary>The storefront's per-address limit on new carts.</summary>
    public static IResourceBuilder<ProjectResource> WithNewCartLimit(this IResourceBuilder<ProjectResource> web, RateLimitSettings settings) =>
        web.WithEnvironment("Cart__PerMinute", settings.NewCartsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static IResourceBuilder<ProjectResource> WithLoginRateLimit(this IResourceBuilder<ProjectResource> service, RateLimitSettings settings) =>
        service.WithEnvironment("Staff__LoginLimit__PerAddressPerMinute", settings.LoginsPerAddressPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("Staff__LoginLimit__FailuresPerAccountAndAddress", settings.LoginFailuresPerAccountAndAddress.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Every API instance under one service-discovery name, <c>http://api</c> (<c>services__api__http__N</c>), for a
    /// service that reads from the instances directly and spreads its reads over them itself. Not waited for: the
    /// storefront starts without them and says the shop is busy until one answers.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithApiInstances(
        this IResourceBuilder<ProjectResource> service, IReadOnlyList<IResourceBuilder<ProjectResource>> apis)
    {
        for (var i = 0; i < apis.Count; i++)
        {
            service.WithEnvironment($"services__api__http__{i}", apis[i].GetEndpoint("http"));
            service.WithRelationship(apis[i].Resource, "Reference");
        }
        return service;
    }

    /// <summary>The secret that encrypts the service's Data Protection key ring at rest (the ring itself lives in Redis).</summary>
    public static IResourceBuilder<ProjectResource> WithDataProtectionKey(
        this IResourceBuilder<ProjectResource> service, IResourceBuilder<ParameterResource> key) =>
        service.WithEnvironment("DataProtection__Key", key);
}
