using Shop.AppHost.Edge;
using Shop.AppHost.LoadTest;

var builder = DistributedApplication.CreateBuilder(args);
var settings = builder.GetShopSettings();
// Every pool below is sized from it, so all instances together stay under Postgres's max_connections.
var budget = ConnectionBudget.For(settings);

// Containers or local processes, the same names either way. The primary as services reach it goes through PgBouncer
// when it is on; primaryDirect is the server itself.
var (primary, primaryDirect, replica, redis, cache, rabbitmq, blobs, edgeUpstreams) = builder.AddShopInfrastructure(settings, budget);

// The first staff account, admin@shop.local, signs in to the reports with this password; ./shop run prints it.
var staffAdminPassword = builder.AddSecret("staff-admin-password", minLength: 20);

var migrations = builder.AddProject<Projects.Shop_MigrationService>("migrations")
    .WithEnvironment("Shop__Service__InstanceName", "migrations")
    .WithEnvironment("Staff__AdminPassword", staffAdminPassword)
    // Directly, never through PgBouncer: EF holds a session-level advisory lock while it migrates.
    .WithConnection(primaryDirect, budget.MigrationsPool, commandTimeoutSeconds: 300)
    .WithConnection(blobs);

var adminKey = builder.AddSecret("admin-key", minLength: 32);
var waitingRoomKey = builder.AddSecret("waitingroom-key", minLength: 48);
// Encrypts the storefront's and the reports' Data Protection keys (cookies, antiforgery tokens) where they are stored, in Redis.
var dataProtectionKey = builder.AddSecret("dataprotection-key", minLength: 48);
// The storefront reaches the edge over loopback, so its checkout calls reach the API from this address.
const string storefrontAddress = "127.0.0.1";

var apis = builder.AddReplicas<Projects.Shop_Api>("api", settings.ApiReplicas, settings.Ports.ApiBase, api => api
    // A shopper's statements are single rows and small reads: ten seconds is a stuck one.
    .WithConnection(primary, budget.ApiPool, commandTimeoutSeconds: 10)
    .WithConnection(redis)
    // The catalog's second cache level.
    .WithConnection(cache)
    .WithConnection(rabbitmq)
    .WithConnection(blobs)
    .WithEnvironment("Admin__Key", adminKey)
    .WithWaitingRoomKey(waitingRoomKey)
    .WithWaitingRoomLimits(settings.WaitingRoom)
    .WithOrderRateLimit(settings.RateLimits, storefrontAddress)
    .WaitForCompletion(migrations));

var web = builder.AddService<Projects.Shop_Web>("web", settings.Ports.Web)
    // The catalog, orders and the current sale straight from the instances, never back through the edge.
    .WithApiInstances(apis)
    .WithConnection(redis)
    // Carts.
    .WithConnection(cache)
    .WithWaitingRoomKey(waitingRoomKey)
    .WithDataProtectionKey(dataProtectionKey)
    .WithOrderRateLimit(settings.RateLimits)
    .WithNewCartLimit(settings.RateLimits);

builder.AddReplicas<Projects.Shop_OrderWorker>("orderworker", settings.OrderWorkers, firstPort: null, worker => worker
    // A batch of orders in one transaction.
    .WithConnection(primary, budget.WorkerPool, commandTimeoutSeconds: 30)
    .WithConnection(rabbitmq)
    // Announces the stock it changed to the API instances' catalog caches. Referenced, not waited for: orders never
    // wait for Redis, not even at start.
    .WithReference(redis.Resource, redis.Name)
    .WithWaitingRoomKey(waitingRoomKey)
    .WaitForCompletion(migrations));

var reporting = builder.AddService<Projects.Shop_Reporting>("reporting", settings.Ports.Reporting)
    // Reports scan; Npgsql's default command timeout.
    .WithConnection(replica, budget.ReplicaPool, commandTimeoutSeconds: 30)
    // Staff accounts only: every BI query goes to the replica.
    .WithConnection(primary, budget.StaffPool, commandTimeoutSeconds: 10)
    // Sign-in limits and the Data Protection key ring.
    .WithConnection(redis)
    .WithDataProtectionKey(dataProtectionKey)
    .WithLoginRateLimit(settings.RateLimits)
    .WaitForCompletion(migrations);

var edge = builder.AddEdge(settings, web, apis, reporting, blobs, edgeUpstreams);

// A peak sale on request: Start it on the dashboard; it never starts by itself.
builder.AddLoadTest(settings, edge, apis[0].GetEndpoint("http"), adminKey);

builder.Build().Run();
