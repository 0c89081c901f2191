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
        await File.WriteAllTextAsync(Path.Combine(directory, "capacity.md"), CapacityDocument.Of([result]), cancellationToken);
        var html = Path.Combine(directory, "report.html");
        await File.WriteAllTextAsync(html, HtmlReport.Render(result), cancellationToken);
        return Path.GetFullPath(html);
    }

    /// <summary>Reads a run's report.json back (from its file or its folder).</summary>
    public static async Task<LoadTestResult> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, "report.json") : path;
        await using var stream = File.OpenRead(file);
        return await JsonSerializer.DeserializeAsync<LoadTestResult>(stream, JsonOptions, cancellationToken)
            ?? throw new InvalidDataException($"{file} holds no load-test report.");
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
            Requests          {s.TotalRequests:N0}; during the sale ({s.SaleSeconds:N0} s, the drain left out) {s.RequestsPerSecond:N1}/s, answered 2xx/3xx {s.GoodputPerSecond:N1}/s
            Failures          5xx {s.Errors5xx:N0}, unanswered {s.Unanswered:N0}   (4xx refusals, counted apart: {s.Errors4xx:N0})
            Waiting           held {s.WaitersHeld:N0} at most; joins {s.JoinsPerSecond:N1}/s, queue polls {s.PollsPerSecond:N1}/s ({s.QueuePollsFromEdgeCachePercent:N1} % from the edge's cache), status calls {s.StatusCallsPerSecond:N1}/s
            Waiting status    p50 {s.StatusLatencyMs.P50:N1} ms, p95 {s.StatusLatencyMs.P95:N1} ms, p99 {s.StatusLatencyMs.P99:N1} ms; API requests per waiter per minute {s.ApiRequestsPerWaiterPerMinute:N4}
            Generator         CPU {(result.Generator is { } g ? $"{g.CpuPercent:N1} % of the machine, {g.Addresses:N0} client addresses (largest group {g.LargestAddressGroup:N0})" : "n/a")}; queued for a connection: {s.ClientQueueMs.Count:N0} requests, p99 {s.ClientQueueMs.P99:N1} ms
            Time in queue     p50 {s.TimeInQueueSeconds.P50:N1} s, p95 {s.TimeInQueueSeconds.P95:N1} s, p99 {s.TimeInQueueSeconds.P99:N1} s
            Catalog           p50 {s.CatalogLatencyMs.P50:N1} ms, p99 {s.CatalogLatencyMs.P99:N1} ms
            Storefront        p50 {s.StorefrontLatencyMs.P50:N1} ms, p99 {s.StorefrontLatencyMs.P99:N1} ms
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
