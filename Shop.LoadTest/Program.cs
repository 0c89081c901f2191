using System.Runtime.InteropServices;
using Shop.LoadTest;
using Shop.LoadTest.Reporting;

// Exit codes: 0 the run held (lost 0, oversold 0); 1 it did not; 2 the run could not be set up.
if (args is ["--help" or "-h"])
{
    Console.WriteLine(LoadTestOptions.Usage);
    return 0;
}

LoadTestOptions options;
try
{
    options = LoadTestOptions.Parse(args);
}
catch (FormatException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(LoadTestOptions.Usage);
    return 2;
}

using var stop = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
return await LoadTestCommand.RunAsync(options, Console.Out, stop.Token);
