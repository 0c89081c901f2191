using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Shop.ServiceDefaults.Endpoints;

/// <summary>
/// The last of the problem-details writers: ASP.NET Core's own writes only for clients that accept JSON, and with no
/// writer left <c>IProblemDetailsService.WriteAsync</c> throws — a 401, 404 or 415 turned into a 500 for a client that
/// sent <c>Accept: text/csv</c>. Every error is then still answered as <c>application/problem+json</c>, with the body the
/// framework's writer would have written (its type and title for the status, the trace id, the app's customisation).
/// </summary>
internal sealed class ProblemJsonFallbackWriter(IOptions<ProblemDetailsOptions> options) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        context.ProblemDetails.Status ??= context.HttpContext.Response.StatusCode;
        // ProblemHttpResult fills in the framework's defaults for the status (type and title) as it is made.
        var problem = TypedResults.Problem(context.ProblemDetails).ProblemDetails;
        problem.Extensions.TryAdd("traceId", Activity.Current?.Id ?? context.HttpContext.TraceIdentifier);
        options.Value.CustomizeProblemDetails?.Invoke(context);
        return new(context.HttpContext.Response.WriteAsJsonAsync(problem, problem.GetType(), options: null, contentType: "application/problem+json"));
    }
}
