using Shop.Reporting;
using Shop.Reporting.Access;
using Shop.Reporting.Components;
using Shop.Reporting.Reports;
using Shop.ServiceDefaults.Endpoints;

var builder = WebApplication.CreateBuilder(args);
// The AppHost runs services from their build output in every environment, not only Development; this loads
// the static web assets manifest (blazor.web.js and friends) there. A published app has none and ignores it.
builder.WebHost.UseStaticWebAssets();

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseForwardedHeaders();
// A person in a browser gets the site's own error page; scripts and other clients get ProblemDetails.
app.UseErrorPagesForBrowsers("/status/{0}");
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgeryWithRequestLimits();
app.MapStaticAssets();
app.MapRazorComponents<App>();
app.MapStaffAccess();
app.MapReportsApi();
app.MapDefaultEndpoints();

app.Run();
