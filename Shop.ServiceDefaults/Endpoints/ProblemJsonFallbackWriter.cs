using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Shop.ServiceDefaults.Endpoints;

/// <summary>
/// The last of the problem-details writers: ASP.NET Core's own writes only for clients that accept JSON, and with no
/// writer left <c>IProblemDetailsService.WriteAsync</c> throws — a 401, 404 or 415 turned into a 500 for a client that
/// sent <c>Accept: text/csv</c>. Every error is then still answered as <c>application/problem+json</c>, whatever was accepted.
/// </summary>
internal sealed class ProblemJsonFallbackWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Status ??= context.HttpContext.Response.StatusCode;
        problem.Title ??= ReasonPhrases.GetReasonPhrase(problem.Status.Value);
        return new(context.HttpContext.Response.WriteAsJsonAsync(problem, problem.GetType(), options: null, contentType: "application/problem+json"));
    }
}
