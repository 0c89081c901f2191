using Shop.Api;
using Shop.Api.Catalog;
using Shop.Api.Orders;
using Shop.Api.Platform;
using Shop.Api.WaitingRoom;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

// The edge (a trusted proxy: Shop:Network:TrustedProxies, loopback by default) sets X-Forwarded-For to the client's address; per-IP limits use it.
app.UseForwardedHeaders();
app.UseServedByHeader();
app.UseRequestMetrics();
app.UseShopperExperience();
app.UseDefaultProblemDetails();
// No UseAuthentication: the admin key is the only scheme, and the admin routes' policy names it, so authorization
// reads the key for those routes alone; every other request (the catalog's hot reads above all) runs no handler. The
// framework still adds the middleware itself, so the scheme must not become the default (Shop.Api.csproj says so).
app.UseAuthorization();
app.UseUtf8JsonOnly();

app.MapPlatformApi();
app.MapCatalogApi();
app.MapCatalogAdminApi();
app.MapOrdersApi();
app.MapWaitingRoomApi();
app.MapSaleAdminApi();
app.MapDefaultEndpoints();

app.Run();
