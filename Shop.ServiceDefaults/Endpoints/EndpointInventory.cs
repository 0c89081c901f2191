using System.Reflection;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.StaticAssets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Shop.ServiceDefaults.Endpoints;

/// <summary>One endpoint of a running service as routing sees it: who may call it, and what it reads from a request.</summary>
public sealed record EndpointEntry(
    string Route, IReadOnlyList<string> Methods, string Kind, EndpointAccess Access, bool Antiforgery,
    IReadOnlyList<EndpointInput> Inputs, IReadOnlyList<string> Accepts, string? DisplayName);

/// <summary>
/// The authorization an endpoint declares. <see cref="Policies"/> holds a named policy or <c>(default)</c> for a bare
/// <c>[Authorize]</c> (signed in); <see cref="AllowAnonymous"/> wins over both, as it does in the authorization middleware.
/// </summary>
public sealed record EndpointAccess(bool AllowAnonymous, IReadOnlyList<string> Policies, IReadOnlyList<string> Roles)
{
    public bool IsPublic => AllowAnonymous || (Policies.Count == 0 && Roles.Count == 0);
}

/// <param name="Source">route, query, header, body, form or page-form (a Blazor <c>[SupplyParameterFromForm]</c> model).</param>
public sealed record EndpointInput(string Name, string Source, string Type);

public sealed class EndpointInventoryOptions
{
    public const string SectionName = "Shop:Diagnostics";

    public bool EndpointInventory { get; set; }
}

/// <summary>Lists every endpoint of this service from the endpoint data sources, so tests cover a new endpoint without being edited.</summary>
public static class EndpointInventory
{
    public const string Path = "/_endpoints";

    public static class Kinds
    {
        public const string Api = "api";
        public const string Page = "page";
        public const string StaticAsset = "static-asset";
        public const string Other = "other";
    }

    /// <summary>
    /// Off unless <c>Shop:Diagnostics:EndpointInventory</c> is true (the test shop turns it on): the list is a map of the
    /// attack surface, useful to tests and no one else, so production does not serve it rather than guarding it with a key.
    /// </summary>
    public static WebApplication MapEndpointInventory(this WebApplication app)
    {
        var options = app.Configuration.GetSection(EndpointInventoryOptions.SectionName).Get<EndpointInventoryOptions>() ?? new();
        if (options.EndpointInventory)
        {
            app.MapGet(Path, (EndpointDataSource endpoints, IServiceProviderIsService services) => TypedResults.Ok(Describe(endpoints, services)))
                .AllowAnonymous()
                .ExcludeFromDescription();
        }
        return app;
    }

    public static IReadOnlyList<EndpointEntry> Describe(EndpointDataSource source, IServiceProviderIsService services) =>
        [.. source.Endpoints.OfType<RouteEndpoint>()
            .Select(e => Describe(e, services))
            .OrderBy(e => e.Route, StringComparer.Ordinal)
            .ThenBy(e => string.Join(',', e.Methods), StringComparer.Ordinal)];

    private static EndpointEntry Describe(RouteEndpoint endpoint, IServiceProviderIsService services)
    {
        var metadata = endpoint.Metadata;
        var route = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
        var methods = metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.ToList() ?? [];
        var authorize = metadata.GetOrderedMetadata<IAuthorizeData>();
        var access = new EndpointAccess(
            metadata.GetMetadata<IAllowAnonymous>() is not null,
            [.. authorize.Select(a => a.Policy ?? (a.Roles is null ? "(default)" : null)).OfType<string>().Distinct()],
            [.. authorize.SelectMany(a => a.Roles?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? []).Distinct()]);
        var antiforgery = metadata.GetMetadata<IAntiforgeryMetadata>()?.RequiresValidation == true;
        var accepts = metadata.GetOrderedMetadata<IAcceptsMetadata>().SelectMany(a => a.ContentTypes).Distinct().ToList();

        var (kind, inputs) = metadata.GetMetadata<StaticAssetDescriptor>() is not null ? (Kinds.StaticAsset, new List<EndpointInput>())
            : metadata.GetMetadata<ComponentTypeMetadata>() is { } component ? (Kinds.Page, PageInputs(endpoint.RoutePattern, component.Type))
            : metadata.GetMetadata<MethodInfo>() is { } handler ? (Kinds.Api, HandlerInputs(endpoint.RoutePattern, handler, metadata, services))
            : (Kinds.Other, RouteInputs(endpoint.RoutePattern));
        return new EndpointEntry(route, methods, kind, access, antiforgery, inputs, accepts, endpoint.DisplayName);
    }

    private static List<EndpointInput> RouteInputs(RoutePattern pattern) =>
        [.. pattern.Parameters.Select(p => new EndpointInput(p.Name, "route", RouteType(p)))];

    private static string RouteType(RoutePatternParameterPart part) =>
        part.ParameterPolicies.Select(p => p.Content).FirstOrDefault(c => c is "int" or "long" or "guid" or "bool" or "decimal" or "double") ?? "string";

    private static List<EndpointInput> PageInputs(RoutePattern pattern, Type component)
    {
        var inputs = RouteInputs(pattern);
        foreach (var property in component.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<SupplyParameterFromQueryAttribute>() is { } query)
            {
                inputs.Add(new EndpointInput(query.Name ?? property.Name, "query", TypeName(property.PropertyType)));
            }
            else if (property.GetCustomAttribute<SupplyParameterFromFormAttribute>() is { } form)
            {
                var prefix = form.Name ?? property.Name;
                inputs.AddRange(property.PropertyType.IsPrimitive || property.PropertyType == typeof(string)
                    ? [new EndpointInput(prefix, "page-form", TypeName(property.PropertyType))]
                    : property.PropertyType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                        .Where(p => p.CanWrite)
                        .Select(p => new EndpointInput($"{prefix}.{p.Name}", "page-form", TypeName(p.PropertyType))));
            }
        }
        return inputs;
    }

    private static List<EndpointInput> HandlerInputs(RoutePattern pattern, MethodInfo handler, EndpointMetadataCollection metadata, IServiceProviderIsService services)
    {
        var inputs = new List<EndpointInput>();
        foreach (var parameter in handler.GetParameters())
        {
            var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
            var name = parameter.Name ?? "";
            var source = parameter.GetCustomAttributes().FirstOrDefault(a => a is IFromServiceMetadata or IFromRouteMetadata
                or IFromQueryMetadata or IFromHeaderMetadata or IFromFormMetadata or IFromBodyMetadata) switch
            {
                IFromServiceMetadata => null,
                IFromRouteMetadata r => ("route", r.Name ?? name),
                IFromQueryMetadata q => ("query", q.Name ?? name),
                IFromHeaderMetadata h => ("header", h.Name ?? name),
                IFromFormMetadata f => ("form", f.Name ?? name),
                IFromBodyMetadata => ("body", name),
                _ when type == typeof(HttpContext) || type == typeof(HttpRequest) || type == typeof(HttpResponse)
                    || type == typeof(CancellationToken) || type == typeof(System.Security.Claims.ClaimsPrincipal)
                    || services.IsService(parameter.ParameterType) => null,
                _ when pattern.GetParameter(name) is not null => ("route", name),
                _ when type == typeof(string) || type.IsPrimitive || type == typeof(decimal) || type == typeof(Guid)
                    || type == typeof(DateTimeOffset) || type == typeof(DateOnly) || type.IsEnum => ("query", name),
                _ => ((string, string)?)("body", name),
            };
            if (source is var (from, bound))
            {
                inputs.Add(new EndpointInput(bound, from, TypeName(parameter.ParameterType)));
                if (from == "body")
                {
                    inputs.AddRange(BodyFields(parameter.ParameterType, "", 0));
                }
            }
        }
        // A handler that reads its body by hand declares it with Accepts<T>().
        if (!inputs.Any(i => i.Source is "body" or "form") && metadata.GetMetadata<IAcceptsMetadata>()?.RequestType is { } declared)
        {
            inputs.Add(new EndpointInput("body", "body", TypeName(declared)));
            inputs.AddRange(BodyFields(declared, "", 0));
        }
        return inputs;
    }

    /// <summary>The JSON members of a body type (camelCase, as System.Text.Json's web defaults read them), as <c>body-field</c> inputs.</summary>
    private static IEnumerable<EndpointInput> BodyFields(Type type, string prefix, int depth)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (depth > 3 || type == typeof(string) || type.IsPrimitive || type.IsEnum || type.Namespace?.StartsWith("System", StringComparison.Ordinal) == true && !type.IsGenericType)
        {
            yield break;
        }
        if (type.IsGenericType && type.GetGenericArguments() is [var element] && typeof(System.Collections.IEnumerable).IsAssignableFrom(type))
        {
            foreach (var field in BodyFields(element, prefix + "[]", depth + 1))
            {
                yield return field;
            }
            yield break;
        }
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
        {
            var member = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            var name = prefix.Length == 0 ? member : $"{prefix}.{member}";
            yield return new EndpointInput(name, "body-field", TypeName(property.PropertyType));
            foreach (var field in BodyFields(property.PropertyType, name, depth + 1))
            {
                yield return field;
            }
        }
    }

    private static string TypeName(Type type) =>
        Nullable.GetUnderlyingType(type) is { } inner ? TypeName(inner) + "?" : type.IsGenericType ? type.Name[..type.Name.IndexOf('`')] : type.Name;
}
