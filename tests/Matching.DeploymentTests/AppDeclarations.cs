using Matching.Hosting;
using Matching.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.DeploymentTests;

/// <summary>The app's own declarations (functions, tables, queues, containers), read from the built app without storage.</summary>
public sealed class AppDeclarations : IDisposable
{
    private readonly WebApplicationFactory<Program> _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
    {
        b.UseEnvironment("Development");
        b.UseSetting("AzureWebJobsStorage", "UseDevelopmentStorage=true"); // never called: nothing here touches storage
        b.UseSetting("Matching:LocalListeners", "false");
    });

    public IReadOnlyList<FunctionDefinition> Functions
    {
        get
        {
            _ = _factory.Server;
            return FunctionPackage.Describe(_factory.Services.GetRequiredService<EndpointDataSource>(), _factory.Services.GetRequiredService<FunctionCatalog>());
        }
    }

    public StorageProvisioner Storage => _factory.Services.GetRequiredService<StorageProvisioner>();

    public FunctionCatalog Catalog => _factory.Services.GetRequiredService<FunctionCatalog>();

    public void Dispose() => _factory.Dispose();

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Matching.sln"))) return dir.FullName;
        throw new InvalidOperationException("Matching.sln not found above the test binaries.");
    }
}
