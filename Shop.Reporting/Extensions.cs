using Shop.Reporting.Replication;

namespace Shop.Reporting;

public static class Extensions
{
    /// <summary>Staff reports read only the replica: <c>shopdb-replica</c>, never the primary.</summary>
    public const string ReplicaConnectionName = "shopdb-replica";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource(ReplicaConnectionName);
        builder.Services.AddSingleton<ReplicaStatusReader>();
        builder.Services.AddRazorComponents();
    }
}
