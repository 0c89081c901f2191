using System.Globalization;
using Npgsql;
using Shop.Reporting.Replication;

namespace Shop.Reporting.Reports;

public enum SalesGranularity
{
    Hour,
    Day,
}

public sealed record SalesFilter(DateTimeOffset From, DateTimeOffset To, SalesGranularity By)
{
    public const int MaxBuckets = 2000;

    /// <summary>The last 24 hours by hour, or the last 30 days by day, when the page is opened without a filter.</summary>
    public static SalesFilter Default(SalesGranularity by, DateTimeOffset now)
    {
        var to = by == SalesGranularity.Hour ? Truncate(now, by).AddHours(1) : Truncate(now, by).AddDays(1);
        return new(by == SalesGranularity.Hour ? to.AddHours(-24) : to.AddDays(-30), to, by);
    }

    /// <summary>Reads <c>from</c>, <c>to</c> (dates or ISO times, UTC) and <c>by</c> (hour | day); null with a message when they make no sense.</summary>
    public static SalesFilter? Parse(string? from, string? to, string? by, DateTimeOffset now, out string? problem)
    {
        problem = null;
        var granularity = by?.ToLowerInvariant() switch
        {
            null or "" or "hour" => SalesGranularity.Hour,
            "day" => SalesGranularity.Day,
            _ => (SalesGranularity?)null,
        };
        if (granularity is null)
        {
            problem = "\"by\" must be hour or day.";
            return null;
        }
        var fallback = Default(granularity.Value, now);
        if (!TryParse(from, fallback.From, out var start) || !TryParse(to, fallback.To, out var end))
        {
            problem = "Dates must look like 2026-11-27 or 2026-11-27T09:00Z.";
            return null;
        }
        if (start < new DateTimeOffset(DayRange.Earliest.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)
            || end > new DateTimeOffset(DayRange.Latest.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero))
        {
            problem = DayRange.OutOfRangeProblem;
            return null;
        }
        if (end <= start)
        {
            problem = "\"to\" must be after \"from\".";
            return null;
        }
        var buckets = granularity == SalesGranularity.Hour ? (end - start).TotalHours : (end - start).TotalDays;
        if (buckets > MaxBuckets)
        {
            problem = $"That range has more than {MaxBuckets} {granularity.Value.ToString().ToLowerInvariant()}s; pick a shorter range or group by day.";
            return null;
        }
        return new SalesFilter(start, end, granularity.Value);
    }

    private static bool TryParse(string? text, DateTimeOffset fallback, out DateTimeOffset value)
    {
        value = fallback;
        return string.IsNullOrWhiteSpace(text)
            || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    private static DateTimeOffset Truncate(DateTimeOffset t, SalesGranularity by) =>
        by == SalesGranularity.Hour ? new(t.Year, t.Month, t.Day, t.Hour, 0, 0, TimeSpan.Zero) : new(t.Year, t.Month, t.Day, 0, 0, 0, TimeSpan.Zero);
}

/// <summary>Confirmed sales per hour or day: orders, units and revenue. Only confirmed orders count as sold.</summary>
public sealed record SalesRow(DateTimeOffset Bucket, long Orders, long Units, decimal Revenue);

/// <summary>Reads the sales report from the read replica (the only database this service queries for reports).</summary>
public sealed class SalesReport(NpgsqlDataSource replica)
{
    public Task<IReadOnlyList<SalesRow>> ReadAsync(SalesFilter filter, CancellationToken cancellationToken) =>
        ReplicaUnavailableException.OnReplicaAsync(() => QueryAsync(filter, cancellationToken));

    private async Task<IReadOnlyList<SalesRow>> QueryAsync(SalesFilter filter, CancellationToken cancellationToken)
    {
        await using var command = replica.CreateCommand("""
            SELECT date_trunc($3, o.created_at AT TIME ZONE 'UTC') AS bucket,
                   count(*) AS orders,
                   coalesce(sum(l.units), 0)::bigint AS units,
                   coalesce(sum(o.total), 0) AS revenue
            FROM orders o
            CROSS JOIN LATERAL (SELECT sum(quantity) AS units FROM order_lines WHERE order_id = o.id) l
            WHERE o.status = 'Confirmed' AND o.created_at >= $1 AND o.created_at < $2
            GROUP BY 1
            ORDER BY 1
            """);
        command.Parameters.Add(new() { Value = filter.From });
        command.Parameters.Add(new() { Value = filter.To });
        command.Parameters.Add(new() { Value = filter.By == SalesGranularity.Hour ? "hour" : "day" });
        var rows = new List<SalesRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var bucket = DateTime.SpecifyKind(reader.GetDateTime(0), DateTimeKind.Utc);
            rows.Add(new SalesRow(new DateTimeOffset(bucket), reader.GetInt64(1), reader.GetInt64(2), reader.GetDecimal(3)));
        }
        return rows;
    }
}
