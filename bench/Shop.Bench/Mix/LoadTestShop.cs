using System.Diagnostics;
using System.Globalization;
using System.Text;
using Shop.Bench.Cpu;
using Shop.LoadTest;
using Shop.LoadTest.Reporting;

namespace Shop.Bench.Mix;

/// <summary>
/// <c>./shop loadtest</c> without <c>--target</c>: boots a shop of its own (.data/loadtest, every port moved by 4000,
/// PgBouncer in front of the primary) and runs the load test against its edge as a process of its own.
/// </summary>
public static class LoadTestShop
{
    private const int PortOffset = 4000;

    public static string DataDirectory { get; } = Path.Combine(BootedShop.RepositoryRoot, ".data", "loadtest");

    public static IEnumerable<string> LoadTestSettings => ["Shop:Database:PgBouncer=true"];

    /// <param name="options">The run, already checked (the targets and the admin key come from the shop booted here).</param>
    public static async Task<int> RunAsync(LoadTestOptions options, CancellationToken token)
    {
        Console.WriteLine("Booting a shop for the load test (Local mode, .data/loadtest, PgBouncer on) ...");
        await using var shop = await BenchShop.StartAsync(DataDirectory, PortOffset, [.. LoadTestSettings], token);
        options = options with
        {
            Target = new Uri(shop.EdgeUrl),
            AdminTarget = new Uri(shop.ApiUrl),
            AdminKey = await shop.ParameterAsync("admin-key", token),
            ReportDirectory = Path.GetFullPath(options.ReportDirectory),
        };
        await WarmUpAsync(shop, options, token);
        var run = await LoadGeneratorProcess.RunAsync(shop, DataDirectory, options, captureOutput: false, token);
        return run.ExitCode;
    }

    /// <summary>
    /// A shop meets its peak warm: it has served the day's shoppers for hours. A freshly booted one has not (JIT tiers,
    /// connection pools, PgBouncer's server connections, the database's buffers, the edge's caches), and the first
    /// minute of a cold run measured the boot, not the sale. So a small sale of its own runs first, on other products,
    /// through every path the load test takes; it is not counted (its report lands in warm-up/ beside the run's).
    /// </summary>
    private static async Task WarmUpAsync(BenchShop shop, LoadTestOptions run, CancellationToken token)
    {
        var warmUp = run with
        {
            Shoppers = 600,
            ArrivalSeconds = 30,
            PollSeconds = 1,
            Stock = 1_000,
            AdmissionsPerMinute = 3_000,
            MaxActiveShoppers = 600,
            DurationSeconds = 120,
            DrainSeconds = 60,
            FirstProductId = 4981,
            LastProductId = 4990,
            ShoppersPerAddress = 0,
            WaitingOnly = false,
            SaleId = run.SaleId + "-warm-up",
            ReportDirectory = Path.Combine(run.ReportDirectory, "warm-up"),
        };
        Console.WriteLine($"Warming the shop up: a sale of its own for {warmUp.Shoppers} shoppers over {warmUp.ArrivalSeconds} s (not counted) ...");
        var result = await LoadGeneratorProcess.RunAsync(shop, DataDirectory, warmUp, captureOutput: true, token);
        if (result.Result is null)
        {
            Console.Error.WriteLine($"The warm-up sale wrote no report (exit {result.ExitCode}); the run goes on cold:{Environment.NewLine}{result.Output}");
        }
    }
}

/// <summary>What a load-generator process did: its exit code and report (null when it wrote none), its console output when captured.</summary>
public sealed record LoadGeneratorRun(int ExitCode, LoadTestResult? Result, string Output);

/// <summary>
/// Shop.LoadTest as a child process of the runner, so the shoppers' CPU is its own and not the runner's (which hosts
/// the AppHost): the bench's CPU meter measures every group while it runs, and the shares go into its report.json
/// (<c>cpu</c>) and capacity.md, next to the load generator's.
/// </summary>
public static class LoadGeneratorProcess
{
    public const string Group = "load generator";

    public static async Task<LoadGeneratorRun> RunAsync(BenchShop shop, string processTag, LoadTestOptions options, bool captureOutput, CancellationToken token)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = captureOutput, RedirectStandardError = captureOutput };
        start.ArgumentList.Add(LoadTestDll());
        foreach (var argument in options.ToArguments())
        {
            start.ArgumentList.Add(argument);
        }
        // Through the environment, not the process list.
        start.Environment["Admin__Key"] = options.AdminKey;
        var output = new StringBuilder();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start the load generator.");
        if (captureOutput)
        {
            process.OutputDataReceived += (_, line) => { if (line.Data is not null) { lock (output) { output.AppendLine(line.Data); } } };
            process.ErrorDataReceived += (_, line) => { if (line.Data is not null) { lock (output) { output.AppendLine(line.Data); } } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }
        var meter = new CpuMeter(() => Roots(shop, process.Id), processTag);
        meter.Start();
        try
        {
            await process.WaitForExitAsync(token);
        }
        catch (OperationCanceledException)
        {
            // Interrupted: the load generator ends its sale and writes what it has; wait for it.
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill!.WaitForExitAsync(CancellationToken.None);
            }
            await process.WaitForExitAsync(CancellationToken.None);
            throw;
        }
        var usage = await meter.StopAsync();

        var reportFile = Path.Combine(options.ReportDirectory, "report.json");
        if (!File.Exists(reportFile))
        {
            return new LoadGeneratorRun(process.ExitCode, null, output.ToString());
        }
        var cpu = Shares(usage);
        var result = await ReportWriter.ReadAsync(reportFile, token) with { Cpu = cpu };
        await ReportWriter.WriteAsync(result, options.ReportDirectory, token);
        var table = CpuTable(cpu);
        if (!captureOutput)
        {
            Console.WriteLine(table);
        }
        return new LoadGeneratorRun(process.ExitCode, result, output.Append(table).ToString());
    }

    /// <summary>Each group's share of the machine (all cores = 100 %), busiest first, the rest of the machine and idle last.</summary>
    public static IReadOnlyDictionary<string, double> Shares(CpuUsage usage)
    {
        var shares = usage.GroupTicks.Where(g => g.Value > 0).OrderByDescending(g => g.Value)
            .ToDictionary(g => g.Key, g => Math.Round(usage.Share(g.Key), 1));
        shares[CpuUsage.RestOfMachine] = Math.Round(usage.Share(CpuUsage.RestOfMachine), 1);
        shares[CpuUsage.Idle] = Math.Round(usage.Share(CpuUsage.Idle), 1);
        return shares;
    }

    private static string CpuTable(IReadOnlyDictionary<string, double> cpu) =>
        "Where the CPU went (share of the machine, all cores = 100 %): " +
        string.Join(", ", cpu.Select(g => $"{g.Key} {g.Value.ToString("N1", CultureInfo.InvariantCulture)} %"));

    private static IReadOnlyCollection<ProcessRoot> Roots(BenchShop shop, int loadGenerator) =>
    [
        .. shop.ResourceProcesses().Select(resource => new ProcessRoot(resource.Value, ProcessGroups.OfResource(resource.Key))),
        new(loadGenerator, Group),
        // By the end of the window the load generator has exited and the runner has reaped it: its time is the runner's reaped time.
        new(Environment.ProcessId, "bench runner", DescendantGroup: "orchestrator", ReapedGroup: Group),
    ];

    /// <summary>Shop.LoadTest.dll as its own project built it (with its runtimeconfig), in the runner's configuration.</summary>
    private static string LoadTestDll()
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = framework.Parent!.Name;
        var dll = Path.Combine(BootedShop.RepositoryRoot, "bench", "Shop.LoadTest", "bin", configuration, framework.Name, "Shop.LoadTest.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build Shop.LoadTest first ({dll} is missing).", dll);
    }
}
