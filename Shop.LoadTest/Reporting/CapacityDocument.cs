using System.Globalization;
using System.Text;

namespace Shop.LoadTest.Reporting;

/// <summary>
/// docs/capacity.md from the runs' reports: the peak sale's answer, the waiting-only run's, what 1,000,000 waiting
/// shoppers need (the waiting run's requests per waiter at the sale run's per-instance rate), and where the CPU went
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
            var perWaiter = waiting.Summary.ApiRequestsPerWaiterPerMinute;
            md.AppendLine();
            md.AppendLine("## 1,000,000 waiting shoppers");
            md.AppendLine();
            md.AppendLine(c, $"{perWaiter:N4} requests a minute per waiter reach the services (waiting-only run), {1_000_000 * perWaiter / 60:N1} a second for 1,000,000;");
            md.AppendLine(c, $"at {perInstance:N1} requests/s per API instance (sale run) that is {CapacityFigures.Show(CapacityFigures.Needed(1_000_000 * perWaiter / 60, perInstance))} API instance(s) for the waiting alone,");
            md.AppendLine(c, $"and {1_000_000 / waiting.Settings.PollSeconds:N0} queue polls a second for the edge (or a CDN) at one poll every {waiting.Settings.PollSeconds:0.#} s.");
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
