using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Shop.Api.Catalog;

/// <summary>
/// A 200 with a cached catalog value as JSON, serialised once per cached instance: HybridCache hands out the very
/// instance it holds (the values are immutable), so the bytes are remembered beside it and a hit only copies them out.
/// A new instance (after an invalidation or expiry) gets its own bytes; the bytes go when the instance does.
/// </summary>
public sealed class CachedJson<T>(T value) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<T>
    where T : class
{
    private static readonly ConditionalWeakTable<T, byte[]> Serialized = new();

    public const string ContentType = "application/json; charset=utf-8";

    public T Value => value;

    object? IValueHttpResult.Value => value;

    public int? StatusCode => StatusCodes.Status200OK;

    public Task ExecuteAsync(HttpContext context)
    {
        if (!Serialized.TryGetValue(value, out var bytes))
        {
            // The same options Ok<T> would serialise with, so the body is byte for byte what it was.
            var options = context.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            bytes = Serialized.GetValue(value, v => JsonSerializer.SerializeToUtf8Bytes(v, options));
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ContentType;
        context.Response.ContentLength = bytes.Length;
        return context.Response.Body.WriteAsync(bytes).AsTask();
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(T), ["application/json"]));
}
