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
            $"sale '{options.SaleId}' ({options.AdmissionsPerMinute:N0} admissions/min, {options.Stock:N0} units on products {options.FirstProductId}-{options.LastProductId})");
        await sale.PrepareAsync(cancellationToken);
        recorder = new Recorder();

        var perAddress = options.EffectiveShoppersPerAddress;
        var addresses = (options.Shoppers + perAddress - 1) / perAddress;
        using var clients = new ClientAddresses(options.Target, addresses);
        using var saleOver = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        saleOver.CancelAfter(TimeSpan.FromSeconds(options.DurationSeconds));
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var monitor = MonitorAsync(sale, watching.Token);

        var shoppers = Enumerable.Range(0, options.Shoppers)
            .Select(i => new Shopper(i, clients.For(i, perAddress), options, recorder, counters, new Random(i)))
            .ToList();
        try
        {
            await Task.WhenAll(shoppers.Select((shopper, i) => ArriveAsync(shopper, i, saleOver.Token)));
        }
        finally
        {
            // Even an interrupted run ends its sale: a live sale gates every order in the shop.
            await sale.EndSaleAsync(CancellationToken.None);
        }

        var drainedAt = await DrainAsync(shoppers, cancellationToken);
        watching.Cancel();
        await monitor;
        WriteProgress(final: true);

        var stockLeft = await sale.StockLeftAsync(cancellationToken);
        return LoadTestResult.From(options, recorder.StartedAt, recorder.Snapshot(), shoppers.Select(s => s.Order).OfType<PlacedOrder>().ToList(),
            sale.StockPlan, stockLeft, counters, drainedAt);
    }

    private async Task ArriveAsync(Shopper shopper, int index, CancellationToken saleOver)
    {
        // Evenly spread arrivals, so --arrival-seconds sets the arrival rate exactly.
        var arrival = options.Shoppers == 1 ? 0 : options.ArrivalSeconds * index / options.Shoppers;
        var wait = arrival - recorder.Now;
        if (wait > 0)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(wait), saleOver);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref counters.GaveUp);
                Interlocked.Increment(ref counters.Done);
                return;
            }
        }
        Interlocked.Increment(ref counters.Arrived);
        await Task.Yield();
        await shopper.RunAsync(saleOver);
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
