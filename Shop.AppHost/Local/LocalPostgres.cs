using Shop.AppHost.Infrastructure;

namespace Shop.AppHost.Local;

/// <summary>Postgres from Debian's package: a primary, and a streaming hot standby cloned from it with <c>pg_basebackup -R</c>.</summary>
public static class LocalPostgres
{
    private static readonly ServiceUser Postgres = new("postgres");

    /// <summary>
    /// Every statement a service sends is one of a few dozen texts with parameters, so the client prepares each one on a
    /// connection after its second use and the server stops parsing and planning it per order and per search (it was
    /// most of Postgres's CPU at intake). Only on direct connections: PgBouncer 1.18 cannot pool prepared statements.
    /// </summary>
    public const string ClientSettings = "Max Auto Prepare=64;Auto Prepare Min Usages=2";

    public static IResourceBuilder<LocalServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, int port, int maxConnections,
        IResourceBuilder<ParameterResource> password, string dataDirectory, string databaseName)
    {
        return builder.AddPostgresServer(name, port, maxConnections, password, dataDirectory, databaseName,
            initialize: async (pgdata, _, cancellationToken) =>
            {
                var passwordFile = Path.Combine(dataDirectory, "initdb.pw");
                await PrivateFiles.WriteAsync(passwordFile, await password.Resource.GetValueAsync(cancellationToken) ?? "", cancellationToken);
                try
                {
                    await LocalProcessExtensions.EnsureOwnedDirectoryAsync(dataDirectory, Postgres.Name);
                    // C ordering (fast, byte-wise), but Unicode character classes: with a C ctype pg_trgm sees no letters in
                    // Greek or Cyrillic text, so their searches would scan the whole trigram index.
                    await Postgres.RunAsync(Binary("initdb"), "-D", pgdata, "-U", "postgres", "--encoding=UTF8", "--locale=C", "--lc-ctype=C.UTF-8",
                        "--auth-local=peer", "--auth-host=scram-sha-256", $"--pwfile={passwordFile}");
                }
                finally
                {
                    File.Delete(passwordFile);
                }
            });
    }

    /// <summary>A read-only standby that streams every write from <paramref name="primary"/>; cloned on first start.</summary>
    public static IResourceBuilder<LocalServerResource> AddLocalPostgresReplica(
        this IDistributedApplicationBuilder builder, string name, int port, int maxConnections, IResourceBuilder<LocalServerResource> primary,
        int primaryPort, IResourceBuilder<ParameterResource> password, string dataDirectory, string databaseName)
    {
        // Reports share this machine's cores with the store: the standby runs at a lower CPU priority, so a long
        // report gives way to intake, the workers and the primary instead of competing with them as an equal.
        // A hot standby refuses to run with a lower max_connections than its primary: both get the same value.
        return builder.AddPostgresServer(name, port, maxConnections, password, dataDirectory, databaseName, niceness: ReplicaNiceness,
            initialize: async (pgdata, services, cancellationToken) =>
            {
                // Our handler runs before Aspire's own WaitFor handling, and the clone needs the primary up now.
                await services.GetRequiredService<ResourceNotificationService>()
                    .WaitForResourceHealthyAsync(primary.Resource.Name, cancellationToken);
                await LocalProcessExtensions.EnsureOwnedDirectoryAsync(dataDirectory, Postgres.Name);
                var conninfo = $"host=127.0.0.1 port={primaryPort} user=postgres password={await password.Resource.GetValueAsync(cancellationToken)}";
                // -R writes standby.signal and primary_conninfo into the clone, which makes it a streaming standby.
                await Postgres.RunAsync(Binary("pg_basebackup"), "-d", conninfo, "-D", pgdata, "-R", "-X", "stream", "-c", "fast");
            })
            .WaitFor(primary);
    }

    public const int ReplicaNiceness = 10;

    /// <param name="initialize">Creates the cluster in the (empty) pgdata folder on first start.</param>
    /// <param name="niceness">Added to the server's nice value (0: as the AppHost).</param>
    private static IResourceBuilder<LocalServerResource> AddPostgresServer(
        this IDistributedApplicationBuilder builder, string name, int port, int maxConnections,
        IResourceBuilder<ParameterResource> password, string dataDirectory, string databaseName,
        Func<string, IServiceProvider, CancellationToken, Task> initialize, int niceness = 0)
    {
        var pgdata = Path.Combine(dataDirectory, "pgdata");
        var sockets = Path.Combine(dataDirectory, "sockets");
        var (command, arguments) = Postgres.Command(Binary("postgres"),
            "-D", pgdata,
            "-p", port.ToString(),
            "-c", "listen_addresses=127.0.0.1",
            "-c", $"unix_socket_directories={sockets}",
            "-c", $"max_connections={maxConnections}",
            "-c", "wal_level=replica",
            "-c", "max_wal_senders=10",
            "-c", "hot_standby=on",
            // A report running while the standby replays cleanup from the primary would otherwise be cancelled.
            "-c", "hot_standby_feedback=on");
        if (niceness != 0)
        {
            // nice replaces itself with the command, like setpriv, so no wrapper process sits between DCP and postgres.
            (command, arguments) = ("/usr/bin/nice", ["-n", niceness.ToString(), command, .. arguments]);
        }

        var server = new LocalServerResource(name, command, dataDirectory)
        {
            ConnectionStringExpression = ReferenceExpression.Create(
                $"Host=127.0.0.1;Port={port.ToString()};Username=postgres;Password={password};Database={databaseName};{ClientSettings}"),
        };

        return builder.AddResource(server)
            .WithArgs(arguments)
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: "tcp", isProxied: false)
            .OnBeforeResourceStarted(async (_, e, cancellationToken) =>
            {
                // The cluster, and the standby's primary_conninfo with the password in it, are postgres's alone.
                await PrivateFiles.MakePrivateAsync(dataDirectory);
                if (!File.Exists(Path.Combine(pgdata, "PG_VERSION")))
                {
                    // A first start that was interrupted leaves a half-made cluster; start it over.
                    if (Directory.Exists(pgdata))
                    {
                        Directory.Delete(pgdata, recursive: true);
                    }
                    await initialize(pgdata, e.Services, cancellationToken);
                }
                await LocalProcessExtensions.EnsureOwnedDirectoryAsync(sockets, Postgres.Name);
            })
            .WithReadinessProbe(cancellationToken => ReadinessProbes.PostgresAsync(server, cancellationToken));
    }

    private static string Binary(string name)
    {
        var installed = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(bin => File.Exists(Path.Combine(bin, "postgres")))
                .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return installed is null
            ? throw new InvalidOperationException("PostgreSQL server binaries were not found under /usr/lib/postgresql; run ./shop run to install them.")
            : Path.Combine(installed, name);
    }
}
