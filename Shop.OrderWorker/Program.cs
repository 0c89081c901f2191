using Shop.OrderWorker;

// A web host only so the worker answers /health and /alive like every other service.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseDefaultProblemDetails();
app.MapDefaultEndpoints();

app.Run();
