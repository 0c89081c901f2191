using System.Globalization;
using System.Text.RegularExpressions;

namespace Shop.Bench.Catalog;

/// <summary>
/// Catalog searches a shopper could type, none asked twice in one bench: search terms are the words of the real
/// product names and their prefixes (3 letters up to the whole word, so short broad terms and long narrow ones mix)
/// and each pair of neighbouring words ("steel kettle", "kettle 42"), combined with a page and a page size. The term changes fastest, so consecutive requests search different words.
/// Each run takes the next unused paths, written to a file for the wrk script.
/// </summary>
public sealed partial class SearchPaths(IReadOnlyList<string> terms, string folder)
{
    private static readonly int[] PageSizes = [20, 10, 12, 15, 16, 24, 25, 30, 32, 36, 40, 48];
    private const int Pages = 3;
    private long next;
    private int files;

    public int Combinations => terms.Count * PageSizes.Length * Pages;

    /// <summary>The distinct terms in <paramref name="productNames"/>, lower-case, shuffled the same way every time.</summary>
    public static IReadOnlyList<string> Terms(IEnumerable<string> productNames)
    {
        var names = productNames.Select(name => Word().Matches(name.ToLowerInvariant()).Select(m => m.Value).ToArray()).ToList();
        var prefixes = names.SelectMany(words => words)
            .Where(word => word.Length >= 3 && char.IsLetter(word[0]))
            .SelectMany(word => Enumerable.Range(3, word.Length - 2).Select(length => word[..length]));
        var pairs = names.SelectMany(words => words.Zip(words.Skip(1), (first, second) => $"{first} {second}"));
        var terms = prefixes.Concat(pairs)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();
        new Random(15).Shuffle(terms);
        return terms;
    }

    /// <summary>The <paramref name="index"/>th search: term fastest, then page size, then page.</summary>
    public string Path(string basePath, long index)
    {
        var term = terms[(int)(index % terms.Count)];
        var size = PageSizes[(int)(index / terms.Count % PageSizes.Length)];
        var page = index / terms.Count / PageSizes.Length % Pages + 1;
        return string.Create(CultureInfo.InvariantCulture, $"{basePath}?q={Uri.EscapeDataString(term)}&page={page}&pageSize={size}");
    }

    /// <summary>
    /// Paths per run: a sixth of all, for the warm-up's two rounds and the figure's three runs (about 30,000 with
    /// the seeded catalog: an 8 s run at 3,700 req/s before a path repeats).
    /// </summary>
    public int PerRun => Combinations / 6;

    /// <summary>Writes the next <see cref="PerRun"/> unused paths to a file; returns wrk's script arguments.</summary>
    public IReadOnlyList<string> NextRun(string basePath)
    {
        Directory.CreateDirectory(folder);
        var file = System.IO.Path.Combine(folder, $"searches-{++files}.txt");
        File.WriteAllLines(file, Enumerable.Range(0, PerRun).Select(i => Path(basePath, next + i)));
        next += PerRun;
        return [file, $"{Wrk.Threads}"];
    }

    /// <summary>Whether the paths handed out so far are all different.</summary>
    public bool Exhausted => next > Combinations;

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Word();
}
