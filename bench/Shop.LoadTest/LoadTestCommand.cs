using Shop.LoadTest.Reporting;

namespace Shop.LoadTest;

/// <summary>Runs one load test and writes its report; shared by the console program, the benchmark and the tests.</summary>
public static class LoadTestCommand
{
    public static async Task<int> RunAsync(LoadTestOptions options, TextWriter console, CancellationToken cancellationToken) =>
        (await ExecuteAsync(options, console, cancellationToken)).ExitCode;

    /// <summary>Exit code 0: lost 0 and oversold 0; 1: not; 2: could not be set up; 130: interrupted.</summary>
    public static async Task<(int ExitCode, LoadTestResult? Result)> ExecuteAsync(LoadTestOptions options, TextWriter console, CancellationToken cancellationToken)
    {
        try
        {
            var result = await new LoadTestRun(options, console).RunAsync(cancellationToken);
            var report = await ReportWriter.WriteAsync(result, options.ReportDirectory, cancellationToken);
            console.WriteLine(ReportWriter.Summary(result));
            console.WriteLine($"Report: {report}");
            console.WriteLine(result.Passed ? "PASS: nothing lost, nothing oversold." : "FAIL: orders were lost or units oversold.");
            return (result.Passed ? 0 : 1, result);
        }
        catch (Exception e) when (e is LoadTestSetupException or HttpRequestException)
        {
            console.WriteLine($"The load test could not run against {options.Target}: {e.Message}");
            return (2, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.WriteLine("Load test interrupted.");
            return (130, null);
        }
    }
}
