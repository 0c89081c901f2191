using Shop.Reporting;
using Shop.Reporting.Access;
using Shop.Reporting.Components;
using Shop.Reporting.Reports;
using Shop.ServiceDefaults.Endpoints;

var builder = WebApplication.CreateBuilder(args);

builder.AddWebSiteDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseWebSiteFront("/status/{0}");
app.UseAuthentication();
app.UseAuthorization();
app.MapWebSite<App>();
app.MapStaffAccess();
app.MapReportsApi();
app.MapDefaultEndpoints();

app.Run();
