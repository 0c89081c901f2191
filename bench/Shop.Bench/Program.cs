using System.CommandLine;
using System.CommandLine.Help;
using System.Runtime.InteropServices;
using Shop.Bench;
using Shop.Bench.Catalog;
using Shop.Bench.Cpu;
using Shop.Bench.Mix;
using Shop.Bench.Orders;
using Shop.Bench.Storefront;
using Shop.Bench.WaitingRoom;
using Shop.LoadTest;

string[] subsets = ["catalog", "storefront", "orders", "waitingroom"];

// ./shop bench [GROUP...] | ./shop bench mix | ./shop loadtest [options] (the runner's loadtest command): a wrong
// command line or --help is answered before anything boots.
var groups = new Argument<string[]>("GROUP")
{
    Description = $"the figures to measure: {string.Join(", ", subsets)} (all when left out); or mix alone: the short peak sale (mix.blackfriday)",
    Arity = ArgumentArity.ZeroOrMore,
};
groups.Validators.Add(result =>
{
    var named = result.Tokens.Select(token => token.Value).ToList();
    foreach (var unknown in named.Where(name => !subsets.Contains(name) && name != "mix"))
    {
        result.AddError($"Unknown group '{unknown}': choose from {string.Join(", ", subsets)}, or mix alone.");
    }
    if (named.Contains("mix") && named.Count > 1)
    {
        result.AddError("mix runs alone: ./shop bench mix.");
    }
});
var root = new RootCommand("The shop's benchmark: every figure against its baseline behind the same edge (results in artifacts/bench/).") { groups };
var loadTest = new Command("loadtest", $"{LoadTestCommandLine.Description} Boots a shop of its own first (.data/loadtest), then runs Shop.LoadTest against it as a process of its own.");
var loadTestLine = new LoadTestCommandLine(loadTest, requireAdminKey: false);
root.Subcommands.Add(loadTest);
// The figures are the root command's own: without an action of its own, System.CommandLine would ask for the subcommand.
root.SetAction(_ => 0);
var parse = root.Parse(args);

if (parse.CommandResult.Command == loadTest)
{
    switch (loadTestLine.Read(parse))
    {
        case LoadTestCommandLine.Help help:
            Console.Write(help.Text);
            return 0;
        case LoadTestCommandLine.Invalid invalid:
            return UsageError(invalid.Message);
    }
}
else if (parse.Action is HelpAction)
{
    Console.Write(LoadTestCommandLine.HelpText(parse));
    return 0;
}
else if (parse.Errors.Count > 0)
{
    return UsageError(string.Join(Environment.NewLine, parse.Errors.Select(e => e.Message)));
}

using var stop = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
try
{
    var named = parse.GetValue(groups) ?? [];
    return parse.CommandResult.Command == loadTest
        ? await LoadTestShop.RunAsync(((LoadTestCommandLine.Run)loadTestLine.Read(parse)).Options, stop.Token)
        : named is ["mix"] ? await MeasureAsync([], mix: true, stop.Token)
        : await MeasureAsync(named.Length == 0 ? subsets : [.. subsets.Where(named.Contains)], mix: false, stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("Benchmark interrupted.");
    return 130;
}

static int UsageError(string message)
{
    Console.Error.WriteLine(message);
    Console.Error.WriteLine("Run with --help for the options.");
    return 2;
}

async Task<int> MeasureAsync(IReadOnlyList<string> selected, bool mix, CancellationToken token)
{
    Console.WriteLine($"Booting the shop (Local mode, .data/bench) for {(mix ? "mix" : string.Join(", ", selected))} ...");
    await using var shop = await BenchShop.StartAsync(token);
    await using var baseline = await Baseline.StartAsync(shop, BenchShop.BenchDataDirectory, token);
    var meter = new CpuMeter(() => Roots(shop, baseline), BenchShop.BenchDataDirectory);

    var measurements = new List<IMeasurement>();
    if (mix)
    {
        measurements.Add(await new BlackFridayMix(shop, baseline).MeasureAsync(token));
    }
    else
    {
        // In this order: the waiting-room figures run during a sale, and a live sale lets no order in without an admission.
        var catalog = selected.Contains("catalog") ? await CatalogBench.CreateAsync(shop, baseline, meter, token) : null;
        var storefront = selected.Contains("storefront") ? await StorefrontBench.CreateAsync(shop, baseline, meter, token) : null;
        var orders = selected.Contains("orders") ? new OrderBench(shop, baseline, meter) : null;
        var waitingRoom = selected.Contains("waitingroom") ? new WaitingRoomBench(shop, baseline, meter) : null;

        using var edge = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { BaseAddress = new Uri(shop.EdgeUrl) };
        using var floor = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { BaseAddress = new Uri(baseline.EdgeUrl) };
        await WarmUp.RunAsync([
            .. catalog?.WarmUp() ?? [], .. storefront?.WarmUp() ?? [], .. orders?.WarmUp(edge, floor) ?? [], .. waitingRoom?.WarmUp() ?? [],
        ], token);

        await GroupAsync("catalog", catalog is null ? null : catalog.MeasureAsync);
        await GroupAsync("storefront", storefront is null ? null : storefront.MeasureAsync);
        await GroupAsync("orders", orders is null ? null : orders.MeasureAsync);
        await GroupAsync("waitingroom", waitingRoom is null ? null : waitingRoom.MeasureAsync);
    }

    // A group that breaks (a service died under it) ends as a failed line; the other groups and the report go on.
    async Task GroupAsync(string name, Func<ICollection<IMeasurement>, CancellationToken, Task>? measure)
    {
        try
        {
            await (measure?.Invoke(measurements, token) ?? Task.CompletedTask);
        }
        catch (Exception e) when (!token.IsCancellationRequested)
        {
            Console.Error.WriteLine($"The {name} figures stopped: {e}");
            measurements.Add(new BrokenGroup(name, e));
        }
    }

    // A service that died during the bench (its log is in .data/bench/logs/) explains failed or low figures.
    var stopped = shop.NotRunning();
    Console.WriteLine();
    Console.WriteLine(Report.Write(measurements, shop.EdgeUrl, baseline.EdgeUrl, stopped, shop.Telemetry));
    return measurements.All(measurement => measurement.Problem is null) && stopped.Count == 0 ? 0 : 1;
}

// Every process the figures may use: each resource's tree, the baseline's Kestrel and nginx, and this runner
// (the closed loops' callers and the in-process AppHost), whose reaped children are the wrk runs.
static IReadOnlyCollection<ProcessRoot> Roots(BenchShop shop, Baseline baseline) =>
[
    .. shop.ResourceProcesses().Select(resource => new ProcessRoot(resource.Value, ProcessGroups.OfResource(resource.Key))),
    new(baseline.KestrelPid, "baseline kestrel"),
    new(baseline.EdgePid, "baseline edge"),
    new(Environment.ProcessId, "bench runner", DescendantGroup: "orchestrator", ReapedGroup: "wrk"),
];

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
