// The floor every benchmark figure is divided by: Kestrel answering a constant, with nothing else in the way —
// no service defaults, no telemetry, no per-request logging. The URL comes from the command line (--urls).
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Error);

var app = builder.Build();
app.MapGet("/", () => "ok");
app.Run();
