using Shop.ServiceDefaults.Endpoints;
using Shop.Web;
using Shop.Web.Cart;
using Shop.Web.Components;
using Shop.Web.Platform;
using Shop.Web.WaitingRoom;

var builder = WebApplication.CreateBuilder(args);

builder.AddWebSiteDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseWebSiteFront("/not-found");
app.UseMiddleware<WaitingRoomGate>();
app.UseShopperExperience();
app.MapWebSite<App>();
app.MapCartEndpoints();
app.MapDefaultEndpoints();

app.Run();
