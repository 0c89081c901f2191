using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Shop.ServiceDefaults.Endpoints;

/// <summary>
/// "Away for a moment, come back in N seconds": a 503 with <c>Retry-After</c>, so clients and the edge retry rather than
/// give up, and a person reads what happened. Each caller keeps its own wait.
/// </summary>
public static class ServiceUnavailable
{
    public static void SetRetryAfter(HttpResponse response, int seconds)
    {
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>An endpoint's answer.</summary>
    public static ProblemHttpResult Problem(HttpResponse response, int retryAfterSeconds, string title, string detail)
    {
        SetRetryAfter(response, retryAfterSeconds);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: title, detail: detail);
    }

    /// <summary>An exception handler's answer, written through the service's problem details writer.</summary>
    public static ValueTask<bool> WriteProblemAsync(IProblemDetailsService problems, HttpContext context, int retryAfterSeconds,
        string title, string detail, Exception? exception = null)
    {
        SetRetryAfter(context.Response, retryAfterSeconds);
        return problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = StatusCodes.Status503ServiceUnavailable, Title = title, Detail = detail },
        });
    }
}
