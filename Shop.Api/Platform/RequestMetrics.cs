using System.Diagnostics.Metrics;

namespace Shop.Api.Platform;

/// <summary>
/// <c>shop.api.requests</c> (meter <c>Shop.Api</c>): every answered request by endpoint group and status class. The
/// instance is not a tag: each instance exports under its own OpenTelemetry resource, so the dashboard splits by it.
/// </summary>
public static class RequestMetrics
{
    public const string MeterName = "Shop.Api";

    private static readonly string[] Groups = ["catalog", "orders", "waitingroom", "admin"];

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
                        new KeyValuePair<string, object?>("status.class", failed ? "5xx" : $"{context.Response.StatusCode / 100}xx"));
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
        foreach (var group in Groups)
        {
            if (path.StartsWithSegments($"/api/{group}"))
            {
                return group;
            }
        }
        return "other";
    }
}
