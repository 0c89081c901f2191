using Shop.ServiceDefaults.Endpoints;
using Shop.Web;
using Shop.Web.Cart;
using Shop.Web.Components;
using Shop.Web.Platform;
using Shop.Web.WaitingRoom;

var builder = WebApplication.CreateBuilder(args);
// The AppHost runs services from their build output in every environment, not only Development; this loads
// the static web assets manifest (blazor.web.js and friends) there. A published app has none and ignores it.
builder.WebHost.UseStaticWebAssets();

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseForwardedHeaders();
// A person in a browser gets the site's own error page; scripts and other clients get ProblemDetails.
app.UseErrorPagesForBrowsers("/not-found");
app.UseMiddleware<WaitingRoomGate>();
app.UseShopperExperience();
app.UseAntiforgeryWithRequestLimits();
app.MapStaticAssets();
app.MapRazorComponents<App>();
app.MapCartEndpoints();
app.MapDefaultEndpoints();

app.Run();
