using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Shop.Api.Admin;

/// <summary>The staff key: the AppHost's secret parameter <c>admin-key</c>, handed to the API as <c>Admin:Key</c>.</summary>
public sealed class AdminOptions
{
    public const string SectionName = "Admin";
    public const string HeaderName = "X-Admin-Key";

    [Required(ErrorMessage = "Admin:Key is required (the AppHost passes its admin-key parameter).")]
    [MinLength(16, ErrorMessage = "Admin:Key must be at least 16 characters long.")]
    public string Key { get; set; } = "";
}

/// <summary>Lets a request through only when it carries the staff key; everyone else gets a 401 ProblemDetails.</summary>
public sealed class AdminKeyFilter(IOptions<AdminOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var presented = context.HttpContext.Request.Headers[AdminOptions.HeaderName].ToString();
        if (presented.Length == 0 || !KeysMatch(presented, options.Value.Key))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Staff key required",
                detail: $"Send the admin key in the {AdminOptions.HeaderName} header.");
        }
        return await next(context);
    }

    /// <summary>Compares digests in constant time, so response timing does not reveal how much of a guess was right.</summary>
    private static bool KeysMatch(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
