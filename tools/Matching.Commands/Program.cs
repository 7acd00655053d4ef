using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Matching.Commands;

// In a namespace (not top-level statements): the tests reference both this tool and the app, whose Program is global.
internal static class Program
{
    private static Task<int> Main(string[] args) => Commands.RunAsync(args, AppServices);

    /// <summary>The app's services (settings, storage), built the way the local host builds them, only for the commands that need them.</summary>
    private static IServiceProvider AppServices()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            // The app's settings files are copied beside the tool, wherever it was started from.
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Services.AddMatching(builder.Configuration, underFunctionsHost: false);
        return builder.Build().Services;
    }
}
