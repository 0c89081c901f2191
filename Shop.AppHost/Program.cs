using Shop.AppHost.Edge;
using Shop.AppHost.LoadTest;

var builder = DistributedApplication.CreateBuilder(args);
var settings = builder.GetShopSettings();
// Every pool below is sized from it, so all instances together stay under Postgres's max_connections.
var budget = ConnectionBudget.For(settings);

// postgres + postgres-replica (+ pgbouncer when on), redis + cache, rabbitmq, blobs: containers or local processes, same names either way.
var infrastructure = builder.AddShopInfrastructure(settings, budget);

// The first staff account, admin@shop.local, signs in to the reports with this password; ./shop run prints it.
var staffAdminPassword = builder.AddParameter("staff-admin-password", new GenerateParameterDefault { MinLength = 20, Special = false }, secret: true, persist: true);

var migrations = builder.AddProject<Projects.Shop_MigrationService>("migrations")
    .WithEnvironment("Shop__Service__InstanceName", "migrations")
    .WithEnvironment("Staff__AdminPassword", staffAdminPassword)
    // Directly, never through PgBouncer: EF holds a session-level advisory lock while it migrates.
    .WithConnection(infrastructure.PrimaryDirect, budget.MigrationsPool, commandTimeoutSeconds: 300)
    .WithConnection(infrastructure.Blobs);

var adminKey = builder.AddParameter("admin-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);
// Signs waiting-room tickets and admissions; the API issues them, the storefront and the order workers check them.
var waitingRoomKey = builder.AddParameter("waitingroom-key", new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
// Encrypts the storefront's and the reports' Data Protection keys (cookies, antiforgery tokens) where they are stored, in Redis.
var dataProtectionKey = builder.AddParameter("dataprotection-key", new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
// The storefront reaches the edge over loopback, so its checkout calls reach the API from this address.
const string storefrontAddress = "127.0.0.1";

var apis = Enumerable.Range(1, settings.ApiReplicas)
    .Select(instance => builder.AddService<Projects.Shop_Api>($"api-{instance}", settings.Ports.ApiBase + instance - 1)
        // A shopper's statements are single rows and small reads: ten seconds is a stuck one.
        .WithConnection(infrastructure.Primary, budget.ApiPool, commandTimeoutSeconds: 10)
        .WithConnection(infrastructure.Redis)
        // The catalog's second cache level.
        .WithConnection(infrastructure.Cache)
        .WithConnection(infrastructure.RabbitMQ)
        .WithConnection(infrastructure.Blobs)
        .WithEnvironment("Admin__Key", adminKey)
        .WithWaitingRoom(waitingRoomKey, settings.WaitingRoom)
        .WithOrderRateLimit(settings.RateLimits, storefrontAddress)
        .WaitForCompletion(migrations))
    .ToList();

var web = builder.AddService<Projects.Shop_Web>("web", settings.Ports.Web)
    // The catalog, orders and the current sale straight from the instances, never back through the edge.
    .WithApiInstances(apis)
    .WithConnection(infrastructure.Redis)
    // Carts.
    .WithConnection(infrastructure.Cache)
    .WithEnvironment("WaitingRoom__SigningKey", waitingRoomKey)
    .WithDataProtectionKey(dataProtectionKey)
    .WithOrderRateLimit(settings.RateLimits)
    .WithNewCartLimit(settings.RateLimits);

for (var instance = 1; instance <= settings.OrderWorkers; instance++)
{
    builder.AddService<Projects.Shop_OrderWorker>($"orderworker-{instance}")
        // A batch of orders in one transaction.
        .WithConnection(infrastructure.Primary, budget.WorkerPool, commandTimeoutSeconds: 30)
        .WithConnection(infrastructure.RabbitMQ)
        // Announces the stock it changed to the API instances' catalog caches. Referenced, not waited for: orders never
        // wait for Redis, not even at start.
        .WithReference(infrastructure.Redis.Resource, infrastructure.Redis.Name)
        .WithEnvironment("WaitingRoom__SigningKey", waitingRoomKey)
        .WaitForCompletion(migrations);
}

var reporting = builder.AddService<Projects.Shop_Reporting>("reporting", settings.Ports.Reporting)
    // Reports scan; Npgsql's default command timeout.
    .WithConnection(infrastructure.Replica, budget.ReplicaPool, commandTimeoutSeconds: 30)
    // Staff accounts only: every BI query goes to the replica.
    .WithConnection(infrastructure.Primary, budget.StaffPool, commandTimeoutSeconds: 10)
    // Sign-in limits and the Data Protection key ring.
    .WithConnection(infrastructure.Redis)
    .WithDataProtectionKey(dataProtectionKey)
    .WithLoginRateLimit(settings.RateLimits)
    .WaitForCompletion(migrations);

var edge = builder.AddEdge(settings, web, apis, reporting, infrastructure.Blobs, infrastructure.EdgeUpstreams);

// A peak sale on request: Start it on the dashboard; it never starts by itself.
builder.AddLoadTest(settings, edge, apis[0].GetEndpoint("http"), adminKey);

builder.Build().Run();
