namespace Shop.AppHost.Local;

/// <summary>
/// A server run as a plain process from the machine's own packages, exposing a connection string the
/// same way the container integrations do, so services cannot tell the two modes apart.
/// </summary>
public sealed class LocalServerResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public ReferenceExpression ConnectionStringExpression { get; set; } = ReferenceExpression.Create($"");
}
