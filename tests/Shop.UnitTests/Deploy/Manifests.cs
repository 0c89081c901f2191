using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Shop.UnitTests.Deploy;

/// <summary>The objects one overlay of <c>deploy/</c> renders to, as <c>kubectl kustomize</c> writes them.</summary>
public sealed class Manifests(IReadOnlyList<JsonObject> objects)
{
    public static readonly string[] Overlays = ["dev", "production"];

    public IReadOnlyList<JsonObject> Objects { get; } = objects;

    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => Kind(o) == kind);

    public JsonObject? Find(string kind, string name) => OfKind(kind).SingleOrDefault(o => Name(o) == name);

    public JsonObject Get(string kind, string name) =>
        Find(kind, name) ?? throw new InvalidOperationException($"The render has no {kind} named {name}.");

    /// <summary>A copy to change, for tests that show a check fails.</summary>
    public Manifests Clone() => new([.. Objects.Select(o => (JsonObject)o.DeepClone())]);

    public static string Kind(JsonNode node) => (string?)node["kind"] ?? "";

    public static string Name(JsonNode node) => (string?)node["metadata"]?["name"] ?? "";

    private static readonly ConcurrentDictionary<string, Lazy<string>> Renders = new();

    /// <summary>The overlay rendered once per test run (kubectl kustomize on a copy of deploy/, see <see cref="RenderAsync"/>).</summary>
    public static Manifests Load(string overlay) =>
        Parse(Renders.GetOrAdd(overlay, o => new Lazy<string>(() => RenderAsync(o).GetAwaiter().GetResult())).Value);

    /// <summary>
    /// Renders an overlay from a copy of <c>deploy/</c>: the dev overlay's secrets are git-ignored files a fresh clone
    /// does not have, so the copy gets throwaway ones where they are missing (the checkout is never written).
    /// </summary>
    public static async Task<string> RenderAsync(string overlay)
    {
        var kubectl = Kubectl.Find();
        var copy = Directory.CreateTempSubdirectory("shop-deploy-");
        try
        {
            CopyDirectory(Path.Combine(BootedShop.RepositoryRoot, "deploy"), copy.FullName);
            var secrets = Path.Combine(copy.FullName, "overlays", "dev", "secrets");
            Directory.CreateDirectory(secrets);
            foreach (var name in DevSecretFiles)
            {
                var file = Path.Combine(secrets, name);
                if (!File.Exists(file))
                {
                    await File.WriteAllTextAsync(file, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));
                }
            }
            var (exitCode, output, error) = await Processes.RunAsync(kubectl, ["kustomize", Path.Combine(copy.FullName, "overlays", overlay)]);
            Assert.True(exitCode == 0, $"kubectl kustomize deploy/overlays/{overlay} failed ({exitCode}): {error}");
            return output;
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }

    /// <summary>The files deploy/overlays/dev/kustomization.yaml generates its Secrets from (deploy/README.md).</summary>
    public static readonly string[] DevSecretFiles = ["admin-key", "waitingroom-key", "dataprotection-key", "staff-admin-password", "redis-password"];

    private static void CopyDirectory(string from, string to)
    {
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }

    /// <summary>A YAML stream as JSON objects: plain scalars that are numbers or booleans become such; quoted ones stay strings.</summary>
    public static Manifests Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return new([.. stream.Documents.Select(d => ToJson(d.RootNode)).OfType<JsonObject>()]);
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c =>
            KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: var v } when long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => JsonNode.Parse(n.ToString(CultureInfo.InvariantCulture)),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } s => JsonValue.Create(s.Value == "true"),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "null" or "~" or "" } => null,
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => throw new InvalidOperationException($"Unexpected YAML node {node.NodeType}"),
    };
}

public static class Kubectl
{
    /// <summary>kubectl 1.27+ carries kustomize v5, which the overlays need.</summary>
    public const string Missing =
        "kubectl is not installed: the deploy checks render deploy/overlays with `kubectl kustomize` (kubectl 1.27 or later). " +
        "Install kubectl (see deploy/README.md) and run the tests again.";

    public static string Find() => Find(["/usr/bin/kubectl", "/usr/local/bin/kubectl"], Environment.GetEnvironmentVariable("PATH"));

    public static string Find(IEnumerable<string> candidates, string? path) =>
        candidates.Concat((path ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "kubectl")))
            .FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException(Missing);
}

public static class Processes
{
    /// <summary>Runs a program to its end (a minute unless told) and returns its exit code, standard output and error.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        string program, IEnumerable<string> arguments, string? input = null, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromMinutes(1);
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            WorkingDirectory = BootedShop.RepositoryRoot,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }
        using var deadline = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} ran for over {limit.TotalSeconds:0} s");
        }
        return (process.ExitCode, await output, await error);
    }
}
