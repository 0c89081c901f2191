using Npgsql;
using Shop.Reporting.Replication;

namespace Shop.Reporting.Reports;

/// <summary>
/// The BI queries behind every report except sales over time, all on the read replica. Each returns a
/// <see cref="ReportTable"/>, which the page shows and the CSV export writes unchanged.
/// </summary>
public sealed class BiReports(NpgsqlDataSource replica)
{
    public const int LowStockDefault = 10;

    /// <summary>The best sellers, each under the name it was last sold by in the range (order lines keep the name as bought).</summary>
    public Task<ReportTable> TopProductsAsync(DayRange range, CancellationToken cancellationToken) => QueryAsync(
        ["product_id", "sku", "product", "category", "units", "revenue"], """
        SELECT p.id, p.sku, (array_agg(l.product_name ORDER BY o.created_at DESC))[1], c.name,
               sum(l.quantity)::bigint, sum(l.quantity * l.unit_price)
        FROM orders o
        JOIN order_lines l ON l.order_id = o.id
        JOIN products p ON p.id = l.product_id
        JOIN categories c ON c.id = p.category_id
        WHERE o.status = 'Confirmed' AND o.created_at >= $1 AND o.created_at < $2
        GROUP BY p.id, p.sku, c.name
        ORDER BY 6 DESC, 1
        LIMIT 20
        """, cancellationToken, range.Start, range.End);

    public Task<ReportTable> CategoriesAsync(DayRange range, CancellationToken cancellationToken) => QueryAsync(
        ["category", "orders", "units", "revenue"], """
        SELECT c.name, count(DISTINCT o.id), sum(l.quantity)::bigint, sum(l.quantity * l.unit_price)
        FROM orders o
        JOIN order_lines l ON l.order_id = o.id
        JOIN products p ON p.id = l.product_id
        JOIN categories c ON c.id = p.category_id
        WHERE o.status = 'Confirmed' AND o.created_at >= $1 AND o.created_at < $2
        GROUP BY c.name
        ORDER BY 4 DESC, 1
        """, cancellationToken, range.Start, range.End);

    /// <summary>How each sale's orders ended: confirmed, or rejected because stock ran out (or for another reason).</summary>
    public Task<ReportTable> OutcomesAsync(CancellationToken cancellationToken) => QueryAsync(
        ["sale", "confirmed", "sold_out", "rejected_other", "waiting_for_worker"], """
        SELECT coalesce(s.name || ' (' || o.sale_id || ')', o.sale_id, 'outside any sale'),
               count(*) FILTER (WHERE o.status = 'Confirmed'),
               count(*) FILTER (WHERE o.status = 'Rejected' AND o.reason = 'sold_out'),
               count(*) FILTER (WHERE o.status = 'Rejected' AND o.reason IS DISTINCT FROM 'sold_out'),
               count(*) FILTER (WHERE o.status = 'Accepted')
        FROM orders o
        LEFT JOIN sales s ON s.id = o.sale_id
        WHERE o.status <> 'Pending'
        GROUP BY o.sale_id, s.name
        ORDER BY min(o.created_at) DESC NULLS LAST
        """, cancellationToken);

    /// <summary>Joined → admitted → ordered → confirmed per sale, with the time admitted shoppers spent in the queue.</summary>
    public Task<ReportTable> FunnelAsync(CancellationToken cancellationToken) => QueryAsync(
        ["sale", "joined", "admitted", "ordered", "confirmed", "queue_p50_s", "queue_p95_s", "abandoned"], """
        SELECT s.name || ' (' || s.id || ')',
               coalesce(q.joined, 0),
               coalesce(q.admitted, a.admitted, 0),
               coalesce(o.ordered, 0),
               coalesce(o.confirmed, 0),
               round(a.p50::numeric, 1),
               round(a.p95::numeric, 1),
               coalesce(q.abandoned, 0)
        FROM sales s
        LEFT JOIN sale_queue_stats q ON q.sale_id = s.id
        LEFT JOIN LATERAL (
            SELECT count(*) AS admitted,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM admitted_at - joined_at)) AS p50,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM admitted_at - joined_at)) AS p95
            FROM sale_admissions WHERE sale_id = s.id) a ON true
        LEFT JOIN LATERAL (
            SELECT count(DISTINCT admission_ticket) AS ordered, count(*) FILTER (WHERE status = 'Confirmed') AS confirmed
            FROM orders WHERE sale_id = s.id AND status <> 'Pending') o ON true
        ORDER BY s.starts_at DESC
        LIMIT 100
        """, cancellationToken);

    public Task<ReportTable> StockAsync(int lowStock, CancellationToken cancellationToken) => QueryAsync(
        ["product_id", "product", "category", "stock", "state"], """
        SELECT p.id, p.name, c.name, p.stock, CASE WHEN p.stock = 0 THEN 'sold out' ELSE 'low' END
        FROM products p JOIN categories c ON c.id = p.category_id
        WHERE p.stock <= $1
        ORDER BY p.stock, p.id
        LIMIT 500
        """, cancellationToken, lowStock);

    private Task<ReportTable> QueryAsync(string[] columns, string sql, CancellationToken cancellationToken, params object[] parameters) =>
        ReplicaUnavailableException.OnReplicaAsync(() => ReadTableAsync(columns, sql, cancellationToken, parameters));

    private async Task<ReportTable> ReadTableAsync(string[] columns, string sql, CancellationToken cancellationToken, object[] parameters)
    {
        await using var command = replica.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        var rows = new List<object?[]>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new object?[columns.Length];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return new ReportTable(columns, rows);
    }
}
