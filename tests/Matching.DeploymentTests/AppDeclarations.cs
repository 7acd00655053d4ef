using Matching.Hosting;
using Matching.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.DeploymentTests;

/// <summary>The app's own declarations (functions, routes, tables, queues, containers), read from the local host without storage.</summary>
public sealed class AppDeclarations : IDisposable
{
    private readonly WebApplicationFactory<Program> _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
    {
        b.UseEnvironment("Development");
        b.UseSetting("AzureWebJobsStorage", "UseDevelopmentStorage=true"); // never called: nothing here touches storage
        b.UseSetting("Matching:LocalListeners", "false");
    });

    public StorageProvisioner Storage => _factory.Services.GetRequiredService<StorageProvisioner>();

    public FunctionCatalog Catalog => _factory.Services.GetRequiredService<FunctionCatalog>();

    /// <summary>The functions the local host serves (the API under /api, the pages at the root): endpoint name, template
    /// (as the function declares it, without the leading slash), methods.</summary>
    public IReadOnlyList<(string Name, string Route, IReadOnlyList<string> Methods)> LocalRoutes
    {
        get
        {
            _ = _factory.Server;
            return _factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
                .Where(e => e.Metadata.GetMetadata<IEndpointNameMetadata>() is not null) // the readiness answer at / is no function
                .Select(e => (e.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName, e.RoutePattern.RawText![1..],
                    (IReadOnlyList<string>)e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.ToList()))
                .ToList();
        }
    }

    /// <summary>A client of the local host (for what needs no storage, such as the OpenAPI document).</summary>
    public HttpClient Client() => _factory.CreateClient();

    public string Setting(string key) => _factory.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()[key] ?? "";

    public void Dispose() => _factory.Dispose();

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Matching.sln"))) return dir.FullName;
        throw new InvalidOperationException("Matching.sln not found above the test binaries.");
    }
}
