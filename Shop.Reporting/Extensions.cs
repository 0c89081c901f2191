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
        // The edge's staff port (on loopback, a known proxy by default) passes on the client's address, which the
        // sign-in limit counts, and the scheme, so the staff cookie is Secure over https.
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
            options.ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto);
    }
}
