using System.Globalization;

namespace Shop.ServiceDefaults.Experience;

/// <summary>
/// Answers of a time window: how many took how long (counts per fixed bucket, so reports of many instances add up)
/// and how many were 5xx.
/// </summary>
public sealed record ExperienceReport(long[] Buckets, long Errors)
{
    /// <summary>Upper bounds of the buckets in milliseconds; a last bucket holds everything slower.</summary>
    public static readonly double[] BoundsMs = [5, 10, 25, 50, 100, 250, 500, 750, 1000, 1500, 2000, 3000, 5000, 10_000, 30_000];

    public static int BucketCount => BoundsMs.Length + 1;

    public long Requests => Buckets.Sum();

    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;

    public static int BucketOf(double milliseconds)
    {
        var index = Array.BinarySearch(BoundsMs, milliseconds);
        return index >= 0 ? index : ~index;
    }

    /// <summary>
    /// The duration below which <paramref name="quantile"/> of the answers fell, interpolated within its bucket as
    /// Prometheus does; answers slower than the last bound count as taking exactly that long. 0 without answers.
    /// </summary>
    public double PercentileMs(double quantile)
    {
        var total = Requests;
        if (total == 0)
        {
            return 0;
        }
        var rank = quantile * total;
        long below = 0;
        for (var i = 0; i < Buckets.Length; i++)
        {
            if (below + Buckets[i] >= rank && Buckets[i] > 0)
            {
                if (i == BoundsMs.Length)
                {
                    return BoundsMs[^1];
                }
                var lower = i == 0 ? 0 : BoundsMs[i - 1];
                return lower + (BoundsMs[i] - lower) * ((rank - below) / Buckets[i]);
            }
            below += Buckets[i];
        }
        return BoundsMs[^1];
    }

    public static ExperienceReport Sum(IEnumerable<ExperienceReport> reports)
    {
        var buckets = new long[BucketCount];
        long errors = 0;
        foreach (var report in reports)
        {
            for (var i = 0; i < buckets.Length; i++)
            {
                buckets[i] += report.Buckets[i];
            }
            errors += report.Errors;
        }
        return new ExperienceReport(buckets, errors);
    }

    /// <summary>The bucket counts as Redis keeps them: comma-separated, in <see cref="BoundsMs"/> order.</summary>
    public string FormatBuckets() => string.Join(',', Buckets.Select(b => b.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Null for counts written with other bounds (an instance of another version): they would not add up.</summary>
    public static ExperienceReport? Parse(string? buckets, long errors)
    {
        var parts = buckets?.Split(',') ?? [];
        var counts = new long[BucketCount];
        if (parts.Length != counts.Length)
        {
            return null;
        }
        for (var i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out counts[i]))
            {
                return null;
            }
        }
        return new ExperienceReport(counts, errors);
    }
}
