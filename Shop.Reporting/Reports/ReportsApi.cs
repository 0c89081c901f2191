using Microsoft.AspNetCore.Http.HttpResults;
using Shop.Reporting.Access;

namespace Shop.Reporting.Reports;

/// <summary>The CSV export of each report: the same query and the same columns as the table on its page.</summary>
public static class ReportsApi
{
    public static void AddReports(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SalesReport>();
        builder.Services.AddSingleton<BiReports>();
    }

    public static void MapReportsApi(this IEndpointRouteBuilder app)
    {
        var reports = app.MapGroup("/reports").RequireAuthorization(StaffAccess.StaffPolicy);
        reports.MapGet("/sales.csv", SalesCsv).WithName("SalesCsv");
        reports.MapGet("/top-products.csv", (string? from, string? to, BiReports bi, TimeProvider clock, CancellationToken ct) =>
            RangeCsvAsync(from, to, clock, "top-products", range => bi.TopProductsAsync(range, ct))).WithName("TopProductsCsv");
        reports.MapGet("/categories.csv", (string? from, string? to, BiReports bi, TimeProvider clock, CancellationToken ct) =>
            RangeCsvAsync(from, to, clock, "categories", range => bi.CategoriesAsync(range, ct))).WithName("CategoriesCsv");
        reports.MapGet("/outcomes.csv", async (BiReports bi, CancellationToken ct) => File("outcomes", await bi.OutcomesAsync(ct))).WithName("OutcomesCsv");
        reports.MapGet("/funnel.csv", async (BiReports bi, CancellationToken ct) => File("funnel", await bi.FunnelAsync(ct))).WithName("FunnelCsv");
        reports.MapGet("/stock.csv", async (int? low, BiReports bi, CancellationToken ct) =>
            File("stock", await bi.StockAsync(Math.Clamp(low ?? BiReports.LowStockDefault, 0, 1_000_000), ct))).WithName("StockCsv");
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> RangeCsvAsync(
        string? from, string? to, TimeProvider clock, string name, Func<DayRange, Task<ReportTable>> read)
    {
        if (DayRange.Parse(from, to, clock.GetUtcNow(), out var problem) is not { } range)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid report filter", detail: problem);
        }
        return File(name, await read(range));
    }

    private static FileContentHttpResult File(string name, ReportTable table) =>
        TypedResults.File(table.ToCsv(), "text/csv; charset=utf-8", $"{name}.csv");

    public static readonly string[] SalesColumns = ["bucket", "orders", "units", "revenue"];

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> SalesCsv(
        string? from, string? to, string? by, SalesReport report, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (SalesFilter.Parse(from, to, by, clock.GetUtcNow(), out var problem) is not { } filter)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid report filter", detail: problem);
        }
        var rows = await report.ReadAsync(filter, cancellationToken);
        var csv = Csv.Write(SalesColumns, rows.Select(r => new object?[] { r.Bucket, r.Orders, r.Units, r.Revenue }));
        return TypedResults.File(csv, "text/csv; charset=utf-8", $"sales-by-{filter.By.ToString().ToLowerInvariant()}.csv");
    }
}
