using System.Globalization;
using System.Text.Json;

namespace Shop.LoadTest.Reporting;

public static class ReportWriter
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Writes report.html, report.json and capacity.md into <paramref name="directory"/>; returns the HTML's path.</summary>
    public static async Task<string> WriteAsync(LoadTestResult result, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "report.json"), JsonSerializer.Serialize(result, JsonOptions), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, "capacity.md"), result.Capacity.ToMarkdown(result), cancellationToken);
        var html = Path.Combine(directory, "report.html");
        await File.WriteAllTextAsync(html, HtmlReport.Render(result), cancellationToken);
        return Path.GetFullPath(html);
    }

    /// <summary>The figures the issue asks every run to state, for the console.</summary>
    public static string Summary(LoadTestResult result)
    {
        var s = result.Summary;
        var c = result.Capacity;
        var errors = result.ErrorsByStatus.Count == 0 ? "none" : string.Join(", ", result.ErrorsByStatus.Select(e => $"{e.Key}: {e.Value:N0}"));
        var byKind = result.ErrorsByKind.Count == 0 ? "" : Environment.NewLine + "                  by kind: " +
            string.Join("; ", result.ErrorsByKind.Select(k => $"{k.Key} " + string.Join(", ", k.Value.Select(e => $"{e.Key}: {e.Value:N0}"))));
        var refusals = result.OrderRefusals.Count == 0 ? "none" : string.Join(", ", result.OrderRefusals.Select(r => $"{r.Key}: {r.Value:N0}"));
        return string.Create(CultureInfo.InvariantCulture, $"""

            Shoppers          arrived {s.ShoppersArrived:N0}, admitted {s.ShoppersAdmitted:N0}, gave up {s.ShoppersGaveUp:N0}
            Requests          {s.TotalRequests:N0} ({s.RequestsPerSecond:N1}/s); joins {s.JoinsPerSecond:N1}/s, status polls {s.PollsPerSecond:N1}/s
            Time in queue     p50 {s.TimeInQueueSeconds.P50:N1} s, p95 {s.TimeInQueueSeconds.P95:N1} s, p99 {s.TimeInQueueSeconds.P99:N1} s
            Catalog           p50 {s.CatalogLatencyMs.P50:N1} ms, p99 {s.CatalogLatencyMs.P99:N1} ms
            Order accept      p50 {s.OrderAcceptLatencyMs.P50:N1} ms, p99 {s.OrderAcceptLatencyMs.P99:N1} ms
            Orders            accepted {s.OrdersAccepted:N0}, confirmed {s.OrdersConfirmed:N0}, rejected {s.OrdersRejected:N0}
            Orders refused    {refusals}
            Lost              {s.Lost:N0}   (accepted − confirmed − rejected after the queue drained)
            Oversold units    {s.OversoldUnits:N0}   (units sold {s.UnitsSold:N0})
            Errors by status  {errors}{byKind}
            Capacity          one API instance {c.ApiRequestsPerSecondPerInstance:N1} req/s (p99 {c.ApiP99MsAtThatLoad:N0} ms), one worker {c.OrdersSettledPerSecondPerWorker:N1} orders/s, database {c.OrdersSettledPerSecond:N1} orders/s
                              {string.Join("; ", c.Needs.Select(n => $"{n.ShoppersPerMinute:N0}/min → {n.ApiInstances?.ToString() ?? "n/a"} API, {n.OrderWorkers?.ToString() ?? "n/a"} workers"))}
            """);
    }
}
