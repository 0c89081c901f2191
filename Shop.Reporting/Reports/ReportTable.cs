namespace Shop.Reporting.Reports;

/// <summary>One report's result as the page's table and the CSV both show it: the same columns, the same rows.</summary>
public sealed record ReportTable(IReadOnlyList<string> Columns, IReadOnlyList<object?[]> Rows)
{
    public byte[] ToCsv() => Csv.Write(Columns, Rows);

    public IEnumerable<T> Column<T>(int index) => Rows.Select(r => (T)r[index]!);
}

/// <summary>A date range in whole days (UTC), default the last 30 days, for reports that sum up a period.</summary>
public sealed record DayRange(DateOnly From, DateOnly To)
{
    public DateTimeOffset Start => new(From.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
    public DateTimeOffset End => new(To.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>Reports look at the shop's own years; far dates would overflow the arithmetic ("to" plus a day) before reaching the database.</summary>
    public static readonly DateOnly Earliest = new(2000, 1, 1), Latest = new(2999, 12, 31);

    public static string OutOfRangeProblem => $"Dates must be between {Earliest:yyyy-MM-dd} and {Latest:yyyy-MM-dd}.";

    public static DayRange? Parse(string? from, string? to, DateTimeOffset now, out string? problem)
    {
        problem = null;
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        DateOnly start = today.AddDays(-29), end = today;
        if ((!string.IsNullOrWhiteSpace(from) && !DateOnly.TryParse(from, System.Globalization.CultureInfo.InvariantCulture, out start))
            || (!string.IsNullOrWhiteSpace(to) && !DateOnly.TryParse(to, System.Globalization.CultureInfo.InvariantCulture, out end)))
        {
            problem = "Dates must look like 2026-11-27.";
            return null;
        }
        if (start < Earliest || end > Latest)
        {
            problem = OutOfRangeProblem;
            return null;
        }
        if (end < start)
        {
            problem = "\"to\" must not be before \"from\".";
            return null;
        }
        return new DayRange(start, end);
    }
}
