using System.Runtime.InteropServices;
using Shop.Bench;
using Shop.Bench.Catalog;
using Shop.Bench.Cpu;
using Shop.Bench.Mix;
using Shop.Bench.Orders;
using Shop.Bench.Storefront;
using Shop.Bench.WaitingRoom;

string[] subsets = ["catalog", "storefront", "orders", "waitingroom"];
const string Usage = "usage: ./shop bench [catalog|storefront|orders|waitingroom ...] | ./shop bench mix";

using var stop = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
try
{
    return args switch
    {
        // ./shop loadtest: the same booted shop, driven by the load-test program instead of the figures.
        ["loadtest", .. var loadTestArgs] => await LoadTestShop.RunAsync(loadTestArgs, stop.Token),
        ["mix"] => await MeasureAsync([], mix: true, stop.Token),
        _ when args.All(subsets.Contains) => await MeasureAsync(args.Length == 0 ? subsets : [.. subsets.Where(args.Contains)], mix: false, stop.Token),
        _ => UsageError(),
    };
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("Benchmark interrupted.");
    return 130;
}

int UsageError()
{
    Console.Error.WriteLine(Usage);
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
