using Microsoft.Extensions.Options;

namespace Shop.Api.Platform;

public sealed record InstanceInfo(string Instance, DateTimeOffset ServerTime);

public static class PlatformApi
{
    public static IEndpointRouteBuilder MapPlatformApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/instance", GetInstance).WithName("GetInstance");
        return app;
    }

    public static Ok<InstanceInfo> GetInstance(IOptions<ServiceIdentityOptions> identity, TimeProvider clock) =>
        TypedResults.Ok(new InstanceInfo(identity.Value.InstanceName!, clock.GetUtcNow()));
}
