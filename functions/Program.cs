using System.Text.Json.Serialization;
using Matching.Demo;
using Matching.Diagnostics;
using Matching.Health;
using Matching.Hosting;
using Matching.Learners;
using Matching.Mentoring;
using Matching.Offers;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;

Commands? command;
try { command = Commands.Parse(args); }
catch (ArgumentException ex) { Console.Error.WriteLine(ex.Message); return 2; }
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = command is null ? args : [],
    // Settings and host.json sit beside the binaries, wherever the process was started from.
    ContentRootPath = AppContext.BaseDirectory,
});

builder.Logging.ClearProviders();
builder.Logging.AddJsonConsole(o => { o.IncludeScopes = true; o.UseUtcTimestamp = true; });
builder.AddFunctionsHosting();

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
    // Misspelt fields are rejected with a 400 naming them, not silently ignored.
    o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
    // Missing required fields and nulls in non-nullable ones are 400s naming the field.
    o.SerializerOptions.RespectNullableAnnotations = true;
    o.SerializerOptions.RespectRequiredConstructorParameters = true;
});
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Customize);
builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
builder.Services.AddMatchingStorage(builder.Configuration);
builder.Services.AddMatchingAuth(builder.Configuration);
builder.Services.AddMatchingOpenApi();
builder.Services.AddSingleton<StorageHealth>();
builder.Services.AddMatchingTelemetry(builder.Configuration);

// Features
builder.Services.AddDiagnosticPings();
builder.Services.AddLearners();
builder.Services.AddOffers();
builder.Services.AddMentoring();
builder.Services.AddDemoData(builder.Configuration);

var app = builder.Build();

app.UseCorrelationAndRequestLog();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseRouting();
app.UseLoopbackOnlyRoutes();
app.UseBodySizeLimit();
app.UseAuthentication();
app.UseAuthorization();

app.MapReadiness();
app.MapFunctionInvocations();
app.MapHealth();
app.MapMatchingOpenApi();
app.MapDiagnosticPings();
app.MapLearners();
app.MapOfferEndpoints();
app.MapMentoring();

if (command is not null) return await command.RunAsync(app);

await app.RunAsync();
return 0;

/// <summary>Visible to the functional tests' WebApplicationFactory.</summary>
public partial class Program;
