using Shop.AppHost.Infrastructure;

namespace Shop.AppHost.Local;

/// <summary>
/// PgBouncer from Debian's package in transaction pooling mode, between the services and the primary: many client
/// connections share the few server connections the <see cref="ConnectionBudget"/> grants it.
/// </summary>
public static class LocalPgBouncer
{
    private static readonly ServiceUser Postgres = new("postgres");

    public static IResourceBuilder<LocalServerResource> AddLocalPgBouncer(
        this IDistributedApplicationBuilder builder, string name, int port, PgBouncerBudget budget,
        IResourceBuilder<LocalServerResource> primary, int primaryPort, IResourceBuilder<ParameterResource> password,
        string dataDirectory, string databaseName)
    {
        var configFile = Path.Combine(dataDirectory, "pgbouncer.ini");
        var userList = Path.Combine(dataDirectory, "userlist.txt");
        var (command, arguments) = Postgres.Command("/usr/sbin/pgbouncer", configFile);
        var bouncer = new LocalServerResource(name, command, dataDirectory)
        {
            // A server connection serves whichever client runs the next transaction, so nothing session-scoped may
            // be left behind: no reset to send on close (Npgsql's DISCARD ALL), and no prepared statements (Npgsql
            // prepares nothing unless Max Auto Prepare is set; PgBouncer 1.18 cannot pool them).
            ConnectionStringExpression = ReferenceExpression.Create(
                $"Host=127.0.0.1;Port={port.ToString()};Username=postgres;Password={password};Database={databaseName};No Reset On Close=true"),
        };

        return builder.AddResource(bouncer)
            .WithArgs(arguments)
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: "tcp", isProxied: false)
            .OnBeforeResourceStarted(async (_, _, cancellationToken) =>
            {
                await PrivateFiles.MakePrivateAsync(dataDirectory);
                // PgBouncer logs in to Postgres with SCRAM using the plain-text password it holds here. Clients log in
                // to PgBouncer with md5: SCRAM against a plain-text entry costs PgBouncer's single thread a PBKDF2 per
                // login, and a burst of a few hundred pool openings on a loaded 2-core machine starved it for seconds.
                // It listens on loopback only.
                await PrivateFiles.WriteAsync(userList,
                    $"\"postgres\" \"{await password.Resource.GetValueAsync(cancellationToken)}\"\n", cancellationToken);
                await PrivateFiles.WriteAsync(configFile, Config(port, budget, primaryPort, userList, databaseName), cancellationToken);
                await LocalProcessExtensions.EnsureOwnedDirectoryAsync(dataDirectory, Postgres.Name);
            })
            .WaitFor(primary)
            .WithReadinessProbe(cancellationToken => ReadinessProbes.PostgresAsync(bouncer, cancellationToken));
    }

    /// <remarks>
    /// Only two databases are served: the shop's, with the budget's server pool, and the maintenance database with one
    /// connection for the readiness probe (which runs before migrations create the shop's). Anything else is refused.
    /// </remarks>
    private static string Config(int port, PgBouncerBudget budget, int primaryPort, string userList, string databaseName) => $"""
        [databases]
        {databaseName} = host=127.0.0.1 port={primaryPort} pool_size={budget.ShopPool}
        postgres = host=127.0.0.1 port={primaryPort} pool_size={PgBouncerBudget.ProbePool}

        [pgbouncer]
        listen_addr = 127.0.0.1
        listen_port = {port}
        unix_socket_dir =
        auth_type = md5
        auth_file = {userList}
        admin_users = postgres
        pool_mode = transaction
        max_client_conn = {budget.MaxClientConnections}
        reserve_pool_size = 0
        max_user_connections = {budget.ServerConnections}
        ignore_startup_parameters = extra_float_digits,options
        log_connections = 0
        log_disconnections = 0
        """;
}
