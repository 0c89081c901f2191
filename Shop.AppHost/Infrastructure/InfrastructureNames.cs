namespace Shop.AppHost.Infrastructure;

/// <summary>The infrastructure's resource names, the same in both modes: the dashboard, the tests and deploy/ know them.</summary>
public static class InfrastructureNames
{
    public const string Postgres = "postgres";
    public const string PostgresReplica = "postgres-replica";
    public const string PgBouncer = "pgbouncer";
    public const string Redis = "redis";
    public const string Cache = "cache";
    public const string RabbitMQ = "rabbitmq";
    public const string Blobs = "blobs";
}
