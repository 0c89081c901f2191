namespace Shop.Api.Platform;

/// <summary>The 400 and 404 answers every feature gives in the same words.</summary>
public static class Problems
{
    /// <summary>A 400 naming each bad field; the detail repeats the messages for clients that show only that.</summary>
    public static ValidationProblem Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: string.Join(" ", errors.Values.SelectMany(e => e)), title: "The request has invalid values.");

    public static ProblemHttpResult NotFound(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: title, detail: detail);
}
