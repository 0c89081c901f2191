using System.Globalization;
using System.Net;
using System.Text;

namespace Shop.LoadTest.Reporting;

/// <summary>A single self-contained page: the summary table and line charts over time (inline SVG, no scripts).</summary>
public static class HtmlReport
{
    private static readonly string[] Colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"];

    public static string Render(LoadTestResult result)
    {
        var s = result.Summary;
        var t = result.Timeline;
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Shop load test {{Encode(result.Settings.SaleId)}}</title>
            <style>
              body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 1100px; }
              table { border-collapse: collapse; margin: 1rem 0; } td, th { border: 1px solid #ccc; padding: .3rem .6rem; text-align: right; }
              th:first-child, td:first-child { text-align: left; }
              .verdict { font-size: 1.3rem; font-weight: bold; } .pass { color: #2a7d2a; } .fail { color: #b00020; }
              figure { margin: 1.5rem 0; } figcaption { font-weight: 600; margin-bottom: .3rem; }
              svg text { font-size: 11px; fill: #444; }
            </style></head><body>
            <h1>Load test: {{Encode(result.Settings.SaleId)}}</h1>
            <p>{{result.StartedAt:yyyy-MM-dd HH:mm:ss}} UTC against {{Encode(result.Settings.Target)}}: {{result.Settings.Shoppers:N0}} shoppers over
              {{result.Settings.ArrivalSeconds:0.#}} s, polling every {{result.Settings.PollSeconds:0.#}} s; {{result.Settings.Stock:N0}} units on products
              {{Encode(result.Settings.Products)}}; admissions {{result.Settings.AdmissionsPerMinute:N0}}/min. Run took {{result.Seconds:N0}} s.</p>
            <p class="verdict {{(result.Passed ? "pass" : "fail")}}">Lost orders: {{s.Lost}} · Oversold units: {{s.OversoldUnits}} — {{(result.Passed ? "PASS" : "FAIL")}}</p>
            <table>
              <tr><th>Figure</th><th>Value</th></tr>
              <tr><td>Shoppers arrived / admitted / gave up</td><td>{{s.ShoppersArrived:N0}} / {{s.ShoppersAdmitted:N0}} / {{s.ShoppersGaveUp:N0}}</td></tr>
              <tr><td>Requests (all) / per second of the sale ({{s.SaleSeconds:N0}} s, the order drain left out) / answered 2xx-3xx per second</td><td>{{s.TotalRequests:N0}} / {{s.RequestsPerSecond:N1}} / {{s.GoodputPerSecond:N1}}</td></tr>
              <tr><td>5xx · unanswered · 4xx (refusals, counted apart)</td><td>{{s.Errors5xx:N0}} · {{s.Unanswered:N0}} · {{s.Errors4xx:N0}}</td></tr>
              <tr><td>Joins/s · queue polls/s · status calls/s</td><td>{{s.JoinsPerSecond:N1}} · {{s.PollsPerSecond:N1}} · {{s.StatusCallsPerSecond:N1}}</td></tr>
              <tr><td>Waiters held (most at once) · queue polls from the edge's cache</td><td>{{s.WaitersHeld:N0}} · {{s.QueuePollsFromEdgeCachePercent:N1}} %</td></tr>
              <tr><td>Waiting status (queue poll) p50 / p95 / p99 (ms)</td><td>{{s.StatusLatencyMs.P50:N1}} / {{s.StatusLatencyMs.P95:N1}} / {{s.StatusLatencyMs.P99:N1}}</td></tr>
              <tr><td>API requests per waiter per minute (after the join)</td><td>{{s.ApiRequestsPerWaiterPerMinute:N4}}</td></tr>
              <tr><td>Queued in the generator for a connection: requests · p99 (ms)</td><td>{{s.ClientQueueMs.Count:N0}} · {{s.ClientQueueMs.P99:N1}}</td></tr>
              <tr><td>Load generator CPU (share of the machine)</td><td>{{(result.Generator is { } g ? $"{g.CpuPercent:N1} %" : "n/a")}}</td></tr>
              <tr><td>Time in queue p50 / p95 / p99 (s)</td><td>{{s.TimeInQueueSeconds.P50:N1}} / {{s.TimeInQueueSeconds.P95:N1}} / {{s.TimeInQueueSeconds.P99:N1}}</td></tr>
              <tr><td>Catalog latency p50 / p99 (ms)</td><td>{{s.CatalogLatencyMs.P50:N1}} / {{s.CatalogLatencyMs.P99:N1}}</td></tr>
              <tr><td>Storefront (product page, cart) p50 / p99 (ms)</td><td>{{s.StorefrontLatencyMs.P50:N1}} / {{s.StorefrontLatencyMs.P99:N1}}</td></tr>
              <tr><td>Order accept latency p50 / p99 (ms)</td><td>{{s.OrderAcceptLatencyMs.P50:N1}} / {{s.OrderAcceptLatencyMs.P99:N1}}</td></tr>
              <tr><td>Orders accepted / confirmed / rejected</td><td>{{s.OrdersAccepted:N0}} / {{s.OrdersConfirmed:N0}} / {{s.OrdersRejected:N0}}</td></tr>
              <tr><td>Lost (accepted − settled, after the queue drained)</td><td>{{s.Lost:N0}}</td></tr>
              <tr><td>Units sold · oversold</td><td>{{s.UnitsSold:N0}} · {{s.OversoldUnits:N0}}</td></tr>
              <tr><td>Queue drained at</td><td>{{(s.QueueDrainedAtSeconds is { } d ? $"{d:N0} s" : "never (see Lost)")}}</td></tr>
            </table>
            <h2>Errors by status</h2>
            {{Table(result.ErrorsByStatus, "Status", "Requests")}}
            <h2>Errors by kind of request</h2>
            {{Table(result.ErrorsByKind.ToDictionary(k => k.Key, k => k.Value.Values.Sum()), "Kind", "Failed")}}
            <h2>Orders refused, by reason</h2>
            {{Table(result.OrderRefusals, "Reason", "Orders")}}
            <h2>Requests by API instance</h2>
            {{Table(result.RequestsByInstance, "Instance", "Requests")}}
            """);

        var kinds = Enum.GetNames<RequestKind>();
        html.Append(Chart("Requests per second, by kind", "req/s", t,
            [.. kinds.Select(kind => new Series(kind, t.Select(x => (double?)x.Requests.GetValueOrDefault(kind)).ToList()))]));
        html.Append(Chart("Latency of requests started each second (ms)", "ms", t,
            [new("p50", [.. t.Select(x => (double?)x.LatencyP50Ms)]), new("p95", [.. t.Select(x => (double?)x.LatencyP95Ms)]), new("p99", [.. t.Select(x => (double?)x.LatencyP99Ms)])]));
        html.Append(Chart("Order accept latency (ms)", "ms", t,
            [new("p50", [.. t.Select(x => x.OrderAcceptP50Ms > 0 ? (double?)x.OrderAcceptP50Ms : null)]), new("p99", [.. t.Select(x => x.OrderAcceptP99Ms > 0 ? (double?)x.OrderAcceptP99Ms : null)])]));
        html.Append(Chart("Waiting-room queue", "shoppers", t,
            [new("waiting", [.. t.Select(x => (double?)x.Waiting)]), new("active in store", [.. t.Select(x => (double?)x.Active)])]));
        html.Append(Chart("Admissions per minute against the setting", "per min", t,
            [new("measured", [.. t.Select(x => x.AdmissionsPerMinute)]), new("effective (after health slowdown)", [.. t.Select(x => x.EffectiveAdmissionsPerMinute)]),
             new("setting", [.. t.Select(x => (double?)x.AdmissionsPerMinuteSetting)])]));
        html.Append(Chart("Orders accepted vs applied (cumulative)", "orders", t,
            [new("accepted (202)", [.. t.Select(x => (double?)x.OrdersAccepted)]), new("applied (confirmed or rejected)", [.. t.Select(x => (double?)x.OrdersSettled)])]));
        html.Append(CultureInfo.InvariantCulture, $"<h2>Capacity</h2><pre>{Encode(result.Capacity.ToMarkdown(result))}</pre></body></html>");
        return html.ToString();
    }

    private sealed record Series(string Name, IReadOnlyList<double?> Values);

    private static string Chart(string title, string unit, IReadOnlyList<TimelineSecond> timeline, IReadOnlyList<Series> series)
    {
        const int width = 1000, height = 260, left = 60, right = 10, top = 10, bottom = 30;
        var shown = series.Where(s => s.Values.Any(v => v is > 0)).ToList();
        // A chart may have nothing to show (no orders in a --waiting-only run): an empty frame, not a failed report.
        var max = shown.Count == 0 ? 0 : shown.SelectMany(s => s.Values).Max(v => v ?? 0);
        max = max <= 0 ? 1 : max * 1.05;
        var seconds = Math.Max(1, timeline.Count - 1);
        double X(int second) => left + (width - left - right) * second / (double)seconds;
        double Y(double value) => top + (height - top - bottom) * (1 - value / max);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<figure><figcaption>{Encode(title)}</figcaption><svg viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" aria-label=\"{Encode(title)}\">");
        // The top gridline carries no number: the unit sits there.
        for (var i = 0; i < 4; i++)
        {
            var value = max * i / 4;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{Y(value):0.#}\" y2=\"{Y(value):0.#}\" stroke=\"#eee\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{Y(value) + 4:0.#}\" text-anchor=\"end\">{value:#,0.#}</text>");
        }
        for (var second = 0; second <= seconds; second += Math.Max(1, seconds / 10))
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(second):0.#}\" y=\"{height - 10}\" text-anchor=\"middle\">{second}s</text>");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"12\">{Encode(unit)}</text>");
        for (var i = 0; i < shown.Count; i++)
        {
            var points = shown[i].Values.Select((v, second) => (v, second)).Where(p => p.v is not null)
                .Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p.second):0.#},{Y(p.v!.Value):0.#}"));
            var color = Colors[i % Colors.Length];
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{string.Join(' ', points)}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + 10 + i * 125}\" y=\"{top + 12}\" fill=\"{color}\" style=\"fill:{color}\">■ {Encode(shown[i].Name)}</text>");
        }
        svg.Append("</svg></figure>");
        return svg.ToString();
    }

    private static string Table(IReadOnlyDictionary<string, long> rows, string key, string value) =>
        rows.Count == 0
            ? "<p>None.</p>"
            : $"<table><tr><th>{key}</th><th>{value}</th></tr>{string.Concat(rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"<tr><td>{Encode(r.Key)}</td><td>{r.Value:N0}</td></tr>")))}</table>";

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
