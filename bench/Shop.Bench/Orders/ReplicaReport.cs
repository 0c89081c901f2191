using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;

namespace Shop.Bench.Orders;

/// <summary>
/// A heavy BI query on the read replica, run again and again on one connection from just before a closed loop until
/// the loop ends, so the replica is busy with report work for the loop's whole duration (issue 6: a 30-second report
/// during an order burst). A query still running when the loop ends is cancelled.
/// </summary>
public sealed class ReplicaReport : IAsyncDisposable
{
    /// <summary>
    /// Every order line against 200 random ones: a nested loop of lines × 200 rows over a sort of the whole table,
    /// seconds of CPU on a bench database that keeps every earlier run's orders.
    /// </summary>
    public const string Query =
        "SELECT count(*), sum(a.quantity * b.quantity) FROM order_lines a " +
        "CROSS JOIN LATERAL (SELECT quantity FROM order_lines ORDER BY random() LIMIT 200) b";

    private const string StatementTimeout = "35s";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly NpgsqlDataSource replica;
    private readonly NpgsqlConnection connection;
    private readonly StringBuilder notes;
    private readonly CancellationTokenSource stop = new();
    private readonly Stopwatch clock = new();
    private readonly List<double> completed = [];
    private readonly List<string> failures = [];
    private Task? loop;
    private TimeSpan leadTime;
    private string? problem;

    private ReplicaReport(NpgsqlDataSource replica, NpgsqlConnection connection, StringBuilder notes)
    {
        this.replica = replica;
        this.connection = connection;
        this.notes = notes;
    }

    /// <summary>Why the report is no report: not on a standby, or it did not keep running until stopped.</summary>
    public string? Problem => problem;

    /// <summary>
    /// Opens one connection to <paramref name="connectionString"/>, checks it is a standby, and starts the query loop;
    /// returns once the replica shows the first query active. Not on a standby, it starts nothing and sets
    /// <see cref="Problem"/>.
    /// </summary>
    public static async Task<ReplicaReport> StartAsync(string connectionString, CancellationToken token)
    {
        var replica = NpgsqlDataSource.Create(connectionString);
        NpgsqlConnection? connection = null;
        try
        {
            connection = await replica.OpenConnectionAsync(token);
            var notes = new StringBuilder();
            var report = new ReplicaReport(replica, connection, notes);
            await using (var recovery = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection))
            {
                if (!(bool)(await recovery.ExecuteScalarAsync(token))!)
                {
                    report.problem = "pg_is_in_recovery() is false on postgres-replica: the report would run on a primary";
                    notes.AppendLine(report.problem);
                    return report;
                }
            }
            await using (var lines = new NpgsqlCommand("SELECT count(*) FROM order_lines", connection))
            {
                notes.AppendLine(CultureInfo.InvariantCulture,
                    $"report on postgres-replica (pg_is_in_recovery() = true), one connection, statement_timeout {StatementTimeout}, " +
                    $"{(long)(await lines.ExecuteScalarAsync(token))!:N0} order lines on the replica when it started:");
                notes.AppendLine(CultureInfo.InvariantCulture, $"  {Query}");
            }
            await using (var timeout = new NpgsqlCommand($"SET statement_timeout = '{StatementTimeout}'", connection))
            {
                await timeout.ExecuteNonQueryAsync(token);
            }
            report.clock.Start();
            report.loop = Task.Run(report.RunAsync, CancellationToken.None);
            await report.WaitUntilActiveAsync(token);
            report.leadTime = report.clock.Elapsed;
            return report;
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
            await replica.DisposeAsync();
            throw;
        }
    }

    /// <summary>Cancels the query in flight, waits for the loop to end and returns what the report did (for the raw report).</summary>
    public async Task<string> StopAsync()
    {
        if (loop is null)
        {
            return notes.ToString();
        }
        await stop.CancelAsync();
        await loop;
        loop = null;
        var total = clock.Elapsed;
        var done = completed.Count;
        notes.AppendLine(CultureInfo.InvariantCulture,
            $"  ran {total.TotalSeconds:N1} s in all, the first query active {leadTime.TotalMilliseconds:N0} ms before the loop started");
        notes.AppendLine(done == 0
            ? "  0 queries completed"
            : string.Create(CultureInfo.InvariantCulture,
                $"  {done:N0} queries completed, mean {completed.Average():N0} ms (min {completed.Min():N0} ms, max {completed.Max():N0} ms)"));
        foreach (var failure in failures)
        {
            notes.AppendLine(CultureInfo.InvariantCulture, $"  {failure}");
        }
        if (problem is not null)
        {
            notes.AppendLine(CultureInfo.InvariantCulture, $"  problem: {problem}");
        }
        return notes.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await connection.DisposeAsync();
        await replica.DisposeAsync();
        stop.Dispose();
    }

    /// <remarks>
    /// A query the server ends (statement timeout, a conflict with recovery) is noted and the next one starts at
    /// once, so the replica stays busy; anything else ends the loop early, which makes the figure fail.
    /// </remarks>
    private async Task RunAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            var started = clock.Elapsed;
            try
            {
                // No client-side timeout (Npgsql's default is 30 s): statement_timeout bounds the query on the server.
                await using var command = new NpgsqlCommand(Query, connection) { CommandTimeout = 0 };
                await command.ExecuteScalarAsync(stop.Token);
                completed.Add((clock.Elapsed - started).TotalMilliseconds);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                failures.Add($"1 query cancelled when the loop ended, after {(clock.Elapsed - started).TotalMilliseconds:N0} ms");
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.SerializationFailure)
            {
                failures.Add($"1 query ended by the server after {(clock.Elapsed - started).TotalMilliseconds:N0} ms: {e.SqlState} {e.MessageText}");
            }
            catch (Exception e)
            {
                problem = $"the report stopped {clock.Elapsed.TotalSeconds:N1} s in: {e.Message}";
                return;
            }
        }
    }

    /// <summary>Until the replica lists the report's backend as active, so the loop never starts ahead of the report.</summary>
    private async Task WaitUntilActiveAsync(CancellationToken token)
    {
        await using var activity = replica.CreateCommand("SELECT state FROM pg_stat_activity WHERE pid = $1");
        activity.Parameters.Add(new NpgsqlParameter { Value = connection.ProcessID });
        var deadline = DateTime.UtcNow + StartTimeout;
        while ((await activity.ExecuteScalarAsync(token)) as string != "active")
        {
            if (loop!.IsCompleted || DateTime.UtcNow > deadline)
            {
                problem ??= $"the report query was not active on the replica within {StartTimeout.TotalSeconds} s";
                return;
            }
            await Task.Delay(20, token);
        }
    }
}

/// <summary>
/// <c>orders.accept.during_report</c>: intake measured while the replica report ran, against <c>orders.accept</c>
/// measured without it in the same run; fails when the report did not run on a standby for the whole loop.
/// </summary>
public sealed record DuringReportMeasurement(LoadMeasurement Intake, string ReportOutput, string? ReportProblem) : IMeasurement
{
    public string Name => Intake.Name;
    public string? Problem => ReportProblem is { } report ? $"report: {report}" : Intake.Problem;
    public IReadOnlyList<BenchResult> Results => Intake.Results;
    public string Output => Intake.Output + ReportOutput;
    public string BaselineOutput => Intake.BaselineOutput;
}
