using Shop.AppHost.Infrastructure;

namespace Shop.UnitTests.Platform;

/// <summary>The connection budget on its own: no shop is booted.</summary>
public sealed class ConnectionBudgetArithmeticTests
{
    private static ShopSettings Settings(int maxConnections, bool pgBouncer, int apiReplicas = 3, int orderWorkers = 2) => new()
    {
        ApiReplicas = apiReplicas,
        OrderWorkers = orderWorkers,
        Database = new DatabaseSettings { MaxConnections = maxConnections, PgBouncer = pgBouncer },
    };

    private const int Set = ConnectionBudget.SuperuserReserved + ConnectionBudget.Operations;

    [Theory]
    [InlineData(40, false, 3, 2)]
    [InlineData(40, true, 3, 2)]
    [InlineData(200, false, 3, 2)]
    [InlineData(200, true, 16, 16)]
    [InlineData(10_000, false, 16, 16)]
    [InlineData(100, false, 16, 2)]
    public void Every_instance_together_stays_below_max_connections(int maxConnections, bool pgBouncer, int apiReplicas, int orderWorkers)
    {
        var budget = ConnectionBudget.For(Settings(maxConnections, pgBouncer, apiReplicas, orderWorkers));

        Assert.True(budget.PrimaryConnections + Set <= maxConnections, $"{budget.PrimaryConnections} + {Set} > {maxConnections}");
        Assert.True(budget.ReplicaPool + Set <= maxConnections);
        Assert.InRange(budget.ApiPool, ConnectionBudget.MinimumPool, ConnectionBudget.MaximumPool);
        Assert.InRange(budget.WorkerPool, ConnectionBudget.MinimumPool, ConnectionBudget.MaximumPool);
    }

    [Fact]
    public void Forty_connections_without_pgbouncer_give_each_of_five_instances_five()
    {
        var budget = ConnectionBudget.For(Settings(40, pgBouncer: false));

        // 40 - 3 reserved - 5 operations = 32; - 2 staff - 3 migrations = 27; 27 / (3 APIs + 2 workers) = 5.
        Assert.Equal((5, 5, 2, 3), (budget.ApiPool, budget.WorkerPool, budget.StaffPool, budget.MigrationsPool));
        Assert.Equal(5 * 5 + 2 + 3, budget.PrimaryConnections);
        Assert.Equal(32, budget.ReplicaPool);
        Assert.Null(budget.PgBouncer);
    }

    [Fact]
    public void Forty_connections_with_pgbouncer_give_pgbouncer_what_migrations_leave()
    {
        var budget = ConnectionBudget.For(Settings(40, pgBouncer: true));

        Assert.Equal(new PgBouncerBudget(ServerConnections: 29, MaxClientConnections: 5 * 30 + 2 + 20), budget.PgBouncer);
        Assert.Equal(28, budget.PgBouncer!.ShopPool);
        Assert.Equal(32, budget.PrimaryConnections);
        // The services keep full pools to PgBouncer; it queues their transactions onto its 28 server connections.
        Assert.Equal((30, 30), (budget.ApiPool, budget.WorkerPool));
    }

    [Fact]
    public void Large_servers_cap_pools_at_npgsqls_default()
    {
        var budget = ConnectionBudget.For(Settings(10_000, pgBouncer: false));

        Assert.Equal(ConnectionBudget.MaximumPool, budget.ApiPool);
        Assert.Equal(ConnectionBudget.MaximumPool, budget.ReplicaPool);
    }

    [Fact]
    public void A_budget_too_small_for_the_instances_stops_the_apphost_and_says_what_to_change()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ConnectionBudget.For(Settings(40, pgBouncer: false, apiReplicas: 16, orderWorkers: 16)));

        Assert.Contains("Shop:Database:MaxConnections=40", error.Message);
        Assert.Contains("Shop:Database:PgBouncer=true", error.Message);
        // The same layout fits behind PgBouncer: the instances share its server pool.
        Assert.NotNull(ConnectionBudget.For(Settings(40, pgBouncer: true, apiReplicas: 16, orderWorkers: 16)).PgBouncer);
    }
}
