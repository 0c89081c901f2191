using System.Globalization;
using System.Text;

namespace Shop.LoadTest.Reporting;

/// <summary>
/// docs/capacity.md from the runs' reports: the peak sale's answer, the waiting-only run's, what 1,000,000 waiting
/// shoppers need (their joins and the heartbeats at the sale run's per-instance rate), and where the CPU went
/// in each run when the bench runner measured it. <c>Shop.LoadTest capacity RUN...</c> writes it.
/// </summary>
public static class CapacityDocument
{
    public static string Of(IReadOnlyList<LoadTestResult> runs)
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        var sale = runs.LastOrDefault(r => !r.Settings.WaitingOnly);
        var waiting = runs.LastOrDefault(r => r.Settings.WaitingOnly);
        if (sale is not null)
        {
            md.Append(sale.Capacity.ToMarkdown(sale));
        }
        if (waiting is not null)
        {
            if (md.Length > 0)
            {
                md.AppendLine().AppendLine("---").AppendLine();
            }
            md.Append(waiting.Capacity.Waiting.ToMarkdown(waiting));
        }
        if (sale is not null && waiting is not null)
        {
            var perInstance = sale.Capacity.ApiRequestsPerSecondPerInstance;
            var heartbeats = waiting.Capacity.Waiting.HeartbeatsPerSecond;
            const int crowd = 1_000_000, arrivalMinutes = 10;
            var joins = crowd / (arrivalMinutes * 60.0);
            md.AppendLine();
            md.AppendLine("## 1,000,000 waiting shoppers");
            md.AppendLine();
            md.AppendLine(c, $"Each joins once: arriving over {arrivalMinutes} minutes, {joins:N0} joins a second. Then they wait on the edge's copy of the queue:");
            md.AppendLine(c, $"{crowd / waiting.Settings.PollSeconds:N0} queue polls a second for the edge (or a CDN) at one poll every {waiting.Settings.PollSeconds:0.#} s, and only the heartbeat window");
            md.AppendLine(c, $"at the front calls the services ({heartbeats:N1} a second in the waiting-only run, the same for any crowd at that admission rate).");
            md.AppendLine(c, $"At {perInstance:N1} requests/s per API instance (sale run, a mix of heavier requests than a join) that is {CapacityFigures.Show(CapacityFigures.Needed(joins + heartbeats, perInstance))} API instance(s)");
            md.AppendLine(c, $"while the crowd arrives and {CapacityFigures.Show(CapacityFigures.Needed(heartbeats, perInstance))} once it waits; the shoppers let in need what the sale run's table says.");
        }
        foreach (var run in runs.Where(r => r.Cpu is { Count: > 0 }))
        {
            md.AppendLine();
            md.AppendLine(c, $"## Where the CPU went: {(run.Settings.WaitingOnly ? "waiting-only run" : "sale run")} ({run.Settings.Shoppers:N0} shoppers)");
            md.AppendLine();
            md.AppendLine("Share of the whole machine (all cores = 100 %) while the load test ran, by process group; `load generator` is Shop.LoadTest.");
            md.AppendLine();
            md.AppendLine(c, $"| {string.Join(" | ", run.Cpu!.Keys)} |");
            md.AppendLine(c, $"|{string.Concat(Enumerable.Repeat("---:|", run.Cpu.Count))}");
            md.AppendLine(c, $"| {string.Join(" | ", run.Cpu.Values.Select(v => v.ToString("N1", c)))} |");
        }
        return md.ToString();
    }
}
