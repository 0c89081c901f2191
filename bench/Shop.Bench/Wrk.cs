using System.Globalization;
using System.Text.RegularExpressions;

namespace Shop.Bench;

/// <summary>What one wrk run measured, read from its <c>--latency</c> report.</summary>
public sealed record WrkRun(
    double RequestsPerSecond, double P50Milliseconds, double P99Milliseconds, long Requests, long ErrorResponses, long SocketErrors, string Output)
{
    /// <summary>Why the run is no figure: nothing answered, or more than 1 % of the requests went wrong.</summary>
    public string? Problem =>
        Requests == 0 ? "no request completed"
        : ErrorResponses + SocketErrors > Requests / 100.0
            ? $"{ErrorResponses:N0} non-2xx/3xx responses and {SocketErrors:N0} socket errors in {Requests:N0} requests"
            : null;

    /// <summary>The run as a closed-loop figure, for comparing it with a baseline that is not an HTTP endpoint.</summary>
    public LoadRun ToLoadRun() =>
        new(RequestsPerSecond, P50Milliseconds, P99Milliseconds, Requests - ErrorResponses, ErrorResponses + SocketErrors, Output);
}

/// <summary>Runs wrk against one URL for one measured run (the bench warms every path up once, before the first figure).</summary>
public static partial class Wrk
{
    public const int Threads = 2;
    public const int Connections = 64;
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(8);
    // wrk leaves a response slower than its timeout (2 s by default) out of the latency histogram; a long one keeps
    // slow answers in the p99 instead of dropping them.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static string Settings =>
        $"wrk -t{Threads} -c{Connections} -d{Duration.TotalSeconds}s --timeout {Timeout.TotalSeconds}s --latency";

    /// <param name="scriptArguments">Passed to the script's <c>init</c> (after <c>--</c>).</param>
    public static async Task<WrkRun> RunAsync(string url, TimeSpan duration, CancellationToken token, string? script = null, string? header = null,
        IReadOnlyList<string>? scriptArguments = null, int connections = Connections, int threads = Threads)
    {
        List<string> arguments =
        [
            $"-t{threads}", $"-c{connections}", $"-d{duration.TotalSeconds}s", "--timeout", $"{Timeout.TotalSeconds}s", "--latency",
        ];
        if (script is not null)
        {
            arguments.AddRange(["-s", Path.Combine(AppContext.BaseDirectory, "Scripts", script)]);
        }
        if (header is not null)
        {
            arguments.AddRange(["-H", header]);
        }
        arguments.Add(url);
        if (scriptArguments is { Count: > 0 })
        {
            arguments.AddRange(["--", .. scriptArguments]);
        }
        // A wrk that cannot connect says so on stderr and reports no requests, which Parse turns into a problem.
        var (_, output) = await LoadTool.RunAsync("wrk", arguments, token);
        return Parse($"wrk {string.Join(' ', arguments)}\n{output}");
    }

    private static WrkRun Parse(string output)
    {
        var socketErrors = SocketErrorsLine().Match(output);
        return new WrkRun(
            RequestsPerSecond: Number(RequestsPerSecondLine().Match(output).Groups[1]),
            P50Milliseconds: Milliseconds(output, percentile: "50"),
            P99Milliseconds: Milliseconds(output, percentile: "99"),
            Requests: (long)Number(RequestsLine().Match(output).Groups[1]),
            ErrorResponses: (long)Number(Non2xxLine().Match(output).Groups[1]),
            SocketErrors: (long)socketErrors.Groups.Values.Skip(1).Sum(Number),
            Output: output);
    }

    private static double Number(Group group) =>
        group.Success ? double.Parse(group.Value, CultureInfo.InvariantCulture) : 0;

    /// <summary>A latency percentile from the <c>--latency</c> distribution (50, 75, 90 or 99).</summary>
    private static double Milliseconds(string output, string percentile) =>
        LatencyPercentileLine().Matches(output).FirstOrDefault(line => line.Groups[1].Value == percentile) is { } line
        ? Number(line.Groups[2]) * line.Groups[3].Value switch
        {
            "us" => 0.001,
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            _ => 3_600_000,
        }
        : 0;

    [GeneratedRegex(@"^Requests/sec:\s+([\d.]+)", RegexOptions.Multiline)]
    private static partial Regex RequestsPerSecondLine();

    [GeneratedRegex(@"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", RegexOptions.Multiline)]
    private static partial Regex LatencyPercentileLine();

    [GeneratedRegex(@"^\s+(\d+) requests in ", RegexOptions.Multiline)]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex Non2xxLine();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrorsLine();
}
