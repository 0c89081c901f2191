namespace Shop.AppHost.Infrastructure;

/// <summary>
/// How many Postgres connections each service instance may hold, so that all instances together stay below
/// <c>max_connections</c>. Without PgBouncer the budget is divided between the instances; with it, PgBouncer's
/// server pool takes the budget and the services keep larger client pools to PgBouncer instead.
/// A budget that leaves an instance fewer than <see cref="MinimumPool"/> connections stops the AppHost at start.
/// </summary>
public sealed record ConnectionBudget(
    int MaxConnections,
    int ApiReplicas,
    int ApiPool,
    int OrderWorkers,
    int WorkerPool,
    int StaffPool,
    int MigrationsPool,
    int ReplicaPool,
    PgBouncerBudget? PgBouncer)
{
    /// <summary>Postgres's <c>superuser_reserved_connections</c> default: kept free so a person can always get in.</summary>
    public const int SuperuserReserved = 3;

    /// <summary>
    /// Short-lived connections outside the services: the AppHost's readiness probes, tests, a person's psql.
    /// Replication needs nothing here: since Postgres 12 WAL senders have slots of their own (<c>max_wal_senders</c>).
    /// </summary>
    public const int Operations = 5;

    /// <summary>Staff sign-ins on the reports, a few Identity queries each.</summary>
    public const int StaffPoolSize = 2;

    /// <summary>Migrations run before every other client, but a person can rerun them from the dashboard at any time.</summary>
    public const int MigrationsPoolSize = 3;

    public const int MinimumPool = 2;

    /// <summary>Npgsql's default <c>Maximum Pool Size</c>: more buys nothing on one machine.</summary>
    public const int MaximumPool = 100;

    /// <summary>Client connections PgBouncer accepts beyond the services' pools: its readiness probe, its admin console.</summary>
    public const int PgBouncerClientHeadroom = 20;

    /// <summary>What the services may use of <c>max_connections</c> on each server, primary and replica alike.</summary>
    public int Usable => MaxConnections - SuperuserReserved - Operations;

    /// <summary>The most connections the primary can see from the shop's services, with or without PgBouncer.</summary>
    public int PrimaryConnections => PgBouncer is { } bouncer ? bouncer.ServerConnections + MigrationsPool : DirectConnections;

    private int DirectConnections => ApiReplicas * ApiPool + OrderWorkers * WorkerPool + StaffPool + MigrationsPool;

    public static ConnectionBudget For(ShopSettings settings)
    {
        var database = settings.Database;
        var instances = settings.ApiReplicas + settings.OrderWorkers;
        var usable = database.MaxConnections - SuperuserReserved - Operations;
        var replicaPool = Math.Min(MaximumPool, usable);

        if (database.PgBouncer)
        {
            // Migrations bypass PgBouncer (EF takes a session-level advisory lock), so their pool comes off its share.
            var serverConnections = usable - MigrationsPoolSize;
            var clientPool = database.ClientPoolSize;
            var bouncer = new PgBouncerBudget(serverConnections,
                MaxClientConnections: instances * clientPool + StaffPoolSize + PgBouncerClientHeadroom);
            Require(bouncer.ShopPool >= MinimumPool, settings,
                $"PgBouncer would get {bouncer.ShopPool} server connections");
            return new ConnectionBudget(database.MaxConnections, settings.ApiReplicas, clientPool, settings.OrderWorkers, clientPool,
                StaffPoolSize, MigrationsPoolSize, replicaPool, bouncer);
        }

        var perInstance = Math.Min(MaximumPool, (usable - StaffPoolSize - MigrationsPoolSize) / instances);
        Require(perInstance >= MinimumPool, settings, $"each of {settings.ApiReplicas} API instances and {settings.OrderWorkers} order workers would get {Math.Max(0, perInstance)} connections");
        return new ConnectionBudget(database.MaxConnections, settings.ApiReplicas, perInstance, settings.OrderWorkers, perInstance,
            StaffPoolSize, MigrationsPoolSize, replicaPool, PgBouncer: null);
    }

    private static void Require(bool condition, ShopSettings settings, string shortfall)
    {
        if (!condition)
        {
            throw new InvalidOperationException(
                $"The connection budget does not fit: with {ShopSettings.SectionName}:Database:MaxConnections={settings.Database.MaxConnections} " +
                $"({SuperuserReserved} reserved for superusers, {Operations} for probes and tools), {shortfall}, fewer than {MinimumPool}. " +
                $"Raise {ShopSettings.SectionName}:Database:MaxConnections, run fewer instances" +
                (settings.Database.PgBouncer ? "." : $", or set {ShopSettings.SectionName}:Database:PgBouncer=true."));
        }
    }
}

/// <summary>
/// PgBouncer's share of the primary: <see cref="ShopPool"/> server connections for the shop's database and one for
/// its readiness probe, which asks the maintenance database.
/// </summary>
public sealed record PgBouncerBudget(int ServerConnections, int MaxClientConnections)
{
    public const int ProbePool = 1;

    public int ShopPool => ServerConnections - ProbePool;
}
