using Microsoft.AspNetCore.Http.HttpResults;
using Shop.Reporting.Access;

namespace Shop.Reporting.Reports;

/// <summary>The CSV export of each report: the same query and the same columns as the table on its page.</summary>
public static class ReportsApi
{
    public static void AddReports(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SalesReport>();
    }

    public static void MapReportsApi(this IEndpointRouteBuilder app)
    {
        var reports = app.MapGroup("/reports").RequireAuthorization(StaffAccess.StaffPolicy);
        reports.MapGet("/sales.csv", SalesCsv).WithName("SalesCsv");
    }

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
