using System.Diagnostics;
using System.Diagnostics.Metrics;
using Shop.LoadTest.Reporting;

namespace Shop.LoadTest;

/// <summary>
/// A whole peak sale: stock the products and open the sale, let the shoppers arrive over the arrival window, end the
/// sale when all are done (or the duration runs out), wait for every accepted order to settle, and report.
/// </summary>
public sealed class LoadTestRun(LoadTestOptions options, TextWriter console)
{
    // Made once the sale is set up, so second 0 of every chart is the first arrival.
    private Recorder recorder = null!;
    private readonly LoadTestCounters counters = new();
    // A terminal gets a progress line that rewrites itself every second; a log file gets a line every 5 s.
    private readonly bool interactive = ReferenceEquals(console, Console.Out) && !Console.IsOutputRedirected;

    public async Task<LoadTestResult> RunAsync(CancellationToken cancellationToken)
    {
        using var sale = SaleControl.Create(options);
        console.WriteLine($"Load test: {options.Shoppers:N0} shoppers over {options.ArrivalSeconds:0.#} s against {options.Target}, " +
            (options.WaitingOnly
                ? $"sale '{options.SaleId}' paused from the start: every shopper waits for {options.DurationSeconds:N0} s, polling every {options.PollSeconds:0.#} s"
                : $"sale '{options.SaleId}' ({options.AdmissionsPerMinute:N0} admissions/min, {options.Stock:N0} units on products {options.FirstProductId}-{options.LastProductId})"));
        await sale.PrepareAsync(cancellationToken);
        var plan = AddressPlan.Of(options.Shoppers, options.ShoppersPerAddress);
        console.WriteLine($"Client addresses: {plan.Addresses:N0} for {options.Shoppers:N0} shoppers " +
            $"({(options.ShoppersPerAddress > 0 ? $"{options.ShoppersPerAddress} each" : $"most alone, the largest shared by {plan.GroupSizes()[0]}")})");
        recorder = new Recorder();
        using var queueing = ListenToClientQueueing(recorder);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;

        using var clients = new ClientAddresses(options.Target, plan, options.CrowdConnections);
        using var saleOver = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        saleOver.CancelAfter(TimeSpan.FromSeconds(options.DurationSeconds));
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var monitor = MonitorAsync(sale, watching.Token);

        var shoppers = new Shopper[options.Shoppers];
        for (var i = 0; i < shoppers.Length; i++)
        {
            shoppers[i] = new Shopper(i, clients, options, recorder, counters);
        }
        try
        {
            await ArriveAsync(shoppers, saleOver.Token);
        }
        finally
        {
            recorder.SaleEnded();
            // Even an interrupted run ends its sale: a live sale gates every order in the shop.
            await sale.EndSaleAsync(CancellationToken.None);
        }
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var generatorCpuPercent = recorder.Now <= 0 ? 0 : Math.Round(100 * cpu.TotalSeconds / (recorder.Now * Environment.ProcessorCount), 1);

        var drainedAt = await DrainAsync(shoppers, cancellationToken);
        watching.Cancel();
        await monitor;
        WriteProgress(final: true);

        var stockLeft = options.WaitingOnly ? new Dictionary<int, int?>() : await sale.StockLeftAsync(cancellationToken);
        return LoadTestResult.From(options, recorder.StartedAt, recorder.Snapshot(), shoppers.Select(s => s.Order).OfType<PlacedOrder>().ToList(),
            options.WaitingOnly ? new Dictionary<int, int>() : sale.StockPlan, stockLeft, counters, drainedAt,
            new LoadGenerator(generatorCpuPercent, plan.Addresses, plan.GroupSizes()[0], options.CrowdConnections));
    }

    /// <summary>
    /// Starts each shopper at its moment (evenly spread, so --arrival-seconds sets the arrival rate exactly) and waits
    /// for all; one timer at a time rather than one per shopper, which 250,000 shoppers would hold from the start.
    /// </summary>
    private async Task ArriveAsync(IReadOnlyList<Shopper> shoppers, CancellationToken saleOver)
    {
        var running = new List<Task>(shoppers.Count);
        var arrived = 0;
        try
        {
            for (; arrived < shoppers.Count; arrived++)
            {
                var arrival = shoppers.Count == 1 ? 0 : options.ArrivalSeconds * arrived / shoppers.Count;
                var wait = arrival - recorder.Now;
                if (wait > 0.005)
                {
                    await Task.Delay(TimeSpan.FromSeconds(wait), saleOver);
                }
                Interlocked.Increment(ref counters.Arrived);
                running.Add(shoppers[arrived].RunAsync(saleOver));
            }
        }
        catch (OperationCanceledException) when (saleOver.IsCancellationRequested)
        {
            // The sale ended before everyone came: the rest never did.
            Interlocked.Add(ref counters.GaveUp, shoppers.Count - arrived);
            Interlocked.Add(ref counters.Done, shoppers.Count - arrived);
        }
        await Task.WhenAll(running);
    }

    /// <summary>Records each request that waited inside this process for a connection (System.Net.Http's own histogram).</summary>
    private static MeterListener ListenToClientQueueing(Recorder recorder)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "System.Net.Http" && instrument.Name == "http.client.request.time_in_queue")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, _, _) => recorder.ClientQueued(seconds * 1000));
        listener.Start();
        return listener;
    }

    /// <summary>After the sale every accepted order must settle; returns when the last did, or null if some never did.</summary>
    private async Task<double?> DrainAsync(IReadOnlyList<Shopper> shoppers, CancellationToken cancellationToken)
    {
        var deadline = recorder.Now + options.DrainSeconds;
        var open = shoppers.Where(s => s.Order is { IsFinal: false }).ToList();
        if (open.Count > 0)
        {
            console.WriteLine($"{Environment.NewLine}Sale over; waiting for {open.Count:N0} accepted orders to settle ...");
        }
        while (open.Count > 0 && recorder.Now < deadline)
        {
            var stillOpen = new List<Shopper>();
            foreach (var batch in open.Chunk(32))
            {
                var settled = await Task.WhenAll(batch.Select(s => s.RefreshOrderAsync(cancellationToken)));
                stillOpen.AddRange(batch.Where((_, i) => !settled[i]));
            }
            open = stillOpen;
            if (open.Count > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
        return open.Count == 0 ? recorder.Now : null;
    }

    private async Task MonitorAsync(SaleControl sale, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var tick = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (await sale.ReadQueueAsync(recorder.Now, cancellationToken) is { } reading)
                {
                    recorder.Queue(reading);
                }
                if (interactive || ++tick % 5 == 0)
                {
                    WriteProgress(final: false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void WriteProgress(bool final)
    {
        var line = $"{recorder.Now,5:0}s  arrived {counters.Arrived:N0}/{options.Shoppers:N0}  waiting {counters.Waiting:N0}  " +
            $"admitted {counters.Admitted:N0}  orders accepted {counters.OrdersAccepted:N0} confirmed {counters.OrdersConfirmed:N0} " +
            $"rejected {counters.OrdersRejected:N0}  errors {counters.Errors:N0}";
        if (options.WaitingOnly)
        {
            line = $"{recorder.Now,5:0}s  arrived {counters.Arrived:N0}/{options.Shoppers:N0}  waiting {counters.Waiting:N0} (most {counters.WaitingPeak:N0})  errors {counters.Errors:N0}";
        }
        if (!interactive || final)
        {
            console.WriteLine(line);
        }
        else
        {
            console.Write($"\r{line}   ");
        }
    }
}
