using Shop.Api;
using Shop.Api.Admin;
using Shop.Api.Catalog;
using Shop.Api.Orders;
using Shop.Api.Platform;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseServedByHeader();
app.UseDefaultProblemDetails();

app.MapPlatformApi();
app.MapCatalogApi();
app.MapOrdersApi();
app.MapAdminApi();
app.MapDefaultEndpoints();

app.Run();
