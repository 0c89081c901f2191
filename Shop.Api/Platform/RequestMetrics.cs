using System.Diagnostics.Metrics;

namespace Shop.Api.Platform;

/// <summary>
/// <c>shop.api.requests</c> (meter <c>Shop.Api</c>): every answered request by endpoint group and status class. The
/// instance is not a tag: each instance exports under its own OpenTelemetry resource, so the dashboard splits by it.
/// </summary>
public static class RequestMetrics
{
    public const string MeterName = "Shop.Api";

    // Made once: building the prefix or the status class per request was a string allocation each time.
    private static readonly (PathString Prefix, string Name)[] Groups =
        [.. new[] { "catalog", "orders", "waitingroom", "admin" }.Select(group => (new PathString($"/api/{group}"), group))];

    private static readonly string[] StatusClasses = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"];

    public static IApplicationBuilder UseRequestMetrics(this IApplicationBuilder app)
    {
        var requests = app.ApplicationServices.GetRequiredService<IMeterFactory>().Create(MeterName)
            .CreateCounter<long>("shop.api.requests", unit: "{request}", description: "Requests answered by this API instance");
        return app.Use(async (context, next) =>
        {
            var group = GroupOf(context.Request.Path);
            var failed = true;
            try
            {
                await next(context);
                failed = false;
            }
            finally
            {
                // Probes are not traffic: the orchestrator and the edge ask every few seconds whatever the load.
                if (group is not null)
                {
                    // A thrown exception becomes a 500 further out, after this middleware has seen the status.
                    requests.Add(1, new KeyValuePair<string, object?>("endpoint.group", group),
                        new KeyValuePair<string, object?>("status.class", failed ? "5xx" : StatusClass(context.Response.StatusCode)));
                }
            }
        });
    }

    private static string? GroupOf(PathString path)
    {
        if (path.StartsWithSegments(Microsoft.Extensions.Hosting.Extensions.HealthEndpointPath)
            || path.StartsWithSegments(Microsoft.Extensions.Hosting.Extensions.AlivenessEndpointPath))
        {
            return null;
        }
        foreach (var (prefix, name) in Groups)
        {
            if (path.StartsWithSegments(prefix))
            {
                return name;
            }
        }
        return "other";
    }

    private static string StatusClass(int statusCode) => (uint)(statusCode / 100) < StatusClasses.Length ? StatusClasses[statusCode / 100] : $"{statusCode / 100}xx";
}
