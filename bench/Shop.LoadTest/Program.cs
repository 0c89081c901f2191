using System.Runtime.InteropServices;
using Shop.LoadTest;
using Shop.LoadTest.Reporting;

// Exit codes: 0 the run held (lost 0, oversold 0) or the help was asked for; 1 it did not hold; 2 a wrong command line
// or a run that could not be set up; 130 interrupted.
switch (LoadTestCommandLine.Read(args))
{
    case LoadTestCommandLine.Help help:
        Console.Write(help.Text);
        return 0;
    case LoadTestCommandLine.Invalid invalid:
        Console.Error.WriteLine(invalid.Message);
        Console.Error.WriteLine("Run with --help for the options.");
        return 2;
    case LoadTestCommandLine.Capacity capacity:
        var reports = new List<LoadTestResult>();
        foreach (var report in capacity.Runs)
        {
            reports.Add(await ReportWriter.ReadAsync(report, CancellationToken.None));
        }
        var document = CapacityDocument.Of(reports);
        if (capacity.Output is { } output)
        {
            await File.WriteAllTextAsync(output, document);
        }
        else
        {
            Console.Write(document);
        }
        return 0;
    case LoadTestCommandLine.Run run:
        using (var stop = new CancellationTokenSource())
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); }))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); }))
        {
            return await LoadTestCommand.RunAsync(run.Options, Console.Out, stop.Token);
        }
    default:
        return 2;
}
