namespace Shop.Bench;

/// <summary>One benchmarked GET through the edge. A <paramref name="Script"/> in Scripts/ lets wrk vary each request.</summary>
public sealed record Figure(string Name, string Path, string? Script = null);
