using System.Runtime.InteropServices;
using Shop.Bench;
using Shop.Bench.Mix;
using Shop.Bench.Orders;
using Shop.Bench.WaitingRoom;

// One line per figure: a GET through the edge; a script (in Scripts/) lets wrk vary every request.
Figure[] figures =
[
    new("catalog.list.cached", "/api/catalog/items?page=1&pageSize=20"),
    new("catalog.item.cached", "/api/catalog/items/1"),
    new("catalog.list.uncached", "/api/catalog/items?pageSize=20", Script: "distinct-searches.lua"),
];

using var stop = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
try
{
    // ./shop loadtest: the same booted shop, driven by the load-test program instead of the figures.
    return args is ["loadtest", .. var loadTestArgs]
        ? await LoadTestShop.RunAsync(loadTestArgs, stop.Token)
        : await MeasureAsync(stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("Benchmark interrupted.");
    return 130;
}

async Task<int> MeasureAsync(CancellationToken token)
{
    Console.WriteLine("Booting the shop (Local mode, .data/bench) ...");
    await using var shop = await BenchShop.StartAsync(token);
    await using var baseline = await Baseline.StartAsync(BenchShop.BenchDataDirectory, token);

    var measurements = new List<IMeasurement>();
    foreach (var figure in figures)
    {
        measurements.Add(await figure.MeasureAsync(shop.EdgeUrl, baseline, token));
    }

    measurements.AddRange(await new OrderBench(shop).MeasureAsync(token));
    // Last: these figures run during a sale, and a live sale lets no order in without an admission.
    measurements.AddRange(await new WaitingRoomBench(shop, baseline).MeasureAsync(token));
    measurements.Add(await new BlackFridayMix(shop, baseline).MeasureAsync(token));

    Console.WriteLine();
    Console.WriteLine(Report.Write(measurements, shop.EdgeUrl));
    return measurements.All(measurement => measurement.Problem is null) ? 0 : 1;
}

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
