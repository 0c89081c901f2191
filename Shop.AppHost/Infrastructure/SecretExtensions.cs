namespace Shop.AppHost.Infrastructure;

public static class SecretExtensions
{
    /// <summary>
    /// A secret parameter generated on first run (letters and digits) and kept in the AppHost's user secrets;
    /// <c>Parameters__name</c> in the environment sets it instead.
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddSecret(this IDistributedApplicationBuilder builder, string name, int minLength) =>
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = minLength, Special = false }, secret: true, persist: true);
}
