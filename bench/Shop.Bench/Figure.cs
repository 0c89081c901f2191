namespace Shop.Bench;

/// <summary>
/// One benchmarked GET through the edge. A <paramref name="Script"/> in Scripts/ lets wrk vary each request; a
/// <paramref name="Header"/> (<c>Name: value</c>) goes with every request.
/// </summary>
public sealed record Figure(string Name, string Path, string? Script = null, string? Header = null)
{
    public async Task<Measurement> MeasureAsync(string edgeUrl, Baseline baseline, CancellationToken token)
    {
        Console.WriteLine($"Measuring {Name} ...");
        // The baseline right before each figure, so both meet the machine in the same state.
        var floor = await Wrk.MeasureAsync(baseline.Url, token);
        var run = await Wrk.MeasureAsync(edgeUrl + Path, token, Script, Header);
        return new Measurement(this, floor, run);
    }
}
