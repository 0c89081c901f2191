using Shop.Api;
using Shop.Api.Platform;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseServedByHeader();
app.UseDefaultProblemDetails();

app.MapPlatformApi();
app.MapDefaultEndpoints();

app.Run();
