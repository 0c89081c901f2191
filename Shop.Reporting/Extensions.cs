using Shop.Reporting.Access;
using Shop.Reporting.Replication;
using Shop.Reporting.Reports;

namespace Shop.Reporting;

public static class Extensions
{
    /// <summary>Staff reports read only the replica: <c>shopdb-replica</c>, never the primary.</summary>
    public const string ReplicaConnectionName = "shopdb-replica";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource(ReplicaConnectionName);
        builder.Services.AddSingleton<ReplicaStatusReader>();
        builder.Services.AddHostedService<ReplicaLagMetrics>();
        builder.Services.AddExceptionHandler<ReplicaUnavailableHandler>();
        builder.AddStaffAccess();
        builder.AddReports();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddRazorComponents();
    }
}
