namespace Shop.Api.Platform;

/// <summary>
/// JSON travels as UTF-8 (RFC 8259). A body labelled with any other charset is refused with 415 before an endpoint
/// reads it: the framework's JSON reader throws on an unknown charset ("utf-7", "nonsense", empty), which was a 500.
/// </summary>
public static class JsonCharset
{
    public static IApplicationBuilder UseUtf8JsonOnly(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Request.HasJsonContentType() && context.Request.GetTypedHeaders().ContentType?.Charset is { HasValue: true } charset
            && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new()
            {
                HttpContext = context,
                ProblemDetails =
                {
                    Status = StatusCodes.Status415UnsupportedMediaType,
                    Title = "Unsupported charset",
                    Detail = $"Send JSON as UTF-8 (Content-Type: application/json or application/json; charset=utf-8), not charset={charset}.",
                },
            });
            return;
        }
        await next(context);
    });
}
