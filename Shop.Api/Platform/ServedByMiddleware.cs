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
        return app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                context.Response.Headers[HeaderName] = instance;
                return Task.CompletedTask;
            });
            return next(context);
        });
    }
}
