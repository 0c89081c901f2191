namespace Shop.LoadTest.Reporting;

public sealed record Percentiles(double P50, double P95, double P99, long Count)
{
    public static readonly Percentiles None = new(0, 0, 0, 0);

    public static Percentiles Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? None : new(At(sorted, 0.50), At(sorted, 0.95), At(sorted, 0.99), sorted.Length);
    }

    /// <summary>Nearest rank: the smallest value with at least <paramref name="quantile"/> of all values at or below it.</summary>
    private static double At(double[] sorted, double quantile) =>
        Math.Round(sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)], 1);
}
