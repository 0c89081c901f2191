using Microsoft.Extensions.Options;

namespace Shop.Api.Platform;

public static class ServedByMiddleware
{
    public const string HeaderName = "X-Served-By";

    /// <summary>
    /// Stamps every response, errors and 404s included, with the instance that produced it, so a person
    /// can watch the edge spread requests over the replicas. Registered first so nothing can skip it.
    /// </summary>
    public static IApplicationBuilder UseServedByHeader(this IApplicationBuilder app)
    {
        var instance = app.ApplicationServices.GetRequiredService<IOptions<ServiceIdentityOptions>>().Value.InstanceName!;
        // One callback for every request, handed the context as its state: no closure is made per request.
        Func<object, Task> stamp = state =>
        {
            ((HttpContext)state).Response.Headers[HeaderName] = instance;
            return Task.CompletedTask;
        };
        return app.Use((context, next) =>
        {
            context.Response.OnStarting(stamp, context);
            return next(context);
        });
    }
}
