using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Matching.Storage;

/// <summary>
/// Registers the three storage clients once, from the <c>AzureWebJobsStorage</c> setting the host uses:
/// a connection string (<c>UseDevelopmentStorage=true</c> locally), or identity-based settings
/// (<c>AzureWebJobsStorage__tableServiceUri</c>, <c>__queueServiceUri</c>, <c>__blobServiceUri</c>,
/// <c>__clientId</c>) with a managed identity on Azure.
/// </summary>
public static class StorageSetup
{
    public const string SettingName = "AzureWebJobsStorage";

    public static IServiceCollection AddMatchingStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(SettingName);
        var connectionString = section.Value;
        // Fail fast and quietly: an unreachable storage must become a 503 within a second or two, not a hang.
        void Retry(RetryOptions r)
        {
            r.MaxRetries = 2;
            r.Delay = TimeSpan.FromMilliseconds(100);
            r.MaxDelay = TimeSpan.FromSeconds(1);
            r.NetworkTimeout = TimeSpan.FromSeconds(10);
        }
        var tableOptions = new TableClientOptions(); Retry(tableOptions.Retry);
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }; Retry(queueOptions.Retry);
        var blobOptions = new BlobClientOptions(); Retry(blobOptions.Retry);

        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            services.AddSingleton(_ => new TableServiceClient(connectionString, tableOptions));
            services.AddSingleton(_ => new QueueServiceClient(connectionString, queueOptions));
            services.AddSingleton(_ => new BlobServiceClient(connectionString, blobOptions));
        }
        else
        {
            Uri Endpoint(string key) => Uri.TryCreate(section[key], UriKind.Absolute, out var uri)
                ? uri
                : throw new InvalidOperationException(
                    $"Storage is not configured: set {SettingName} to a connection string, or {SettingName}__{key} (identity-based).");
            // Resolved lazily: commands such as 'package' build the app without any storage settings.
            var credential = new Lazy<TokenCredential>(() => section["clientId"] is { Length: > 0 } clientId
                ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
                : new DefaultAzureCredential());
            services.AddSingleton(_ => new TableServiceClient(Endpoint("tableServiceUri"), credential.Value, tableOptions));
            services.AddSingleton(_ => new QueueServiceClient(Endpoint("queueServiceUri"), credential.Value, queueOptions));
            services.AddSingleton(_ => new BlobServiceClient(Endpoint("blobServiceUri"), credential.Value, blobOptions));
        }

        services.AddSingleton<StorageProvisioner>();
        services.AddSingleton<QueueSender>();
        return services;
    }

    /// <summary>Declares a queue a function reads (the host composes these from its catalog), so that it and its poison
    /// queue exist before they are first used.</summary>
    public static IServiceCollection AddQueue(this IServiceCollection services, string queueName)
    {
        services.AddSingleton(new QueueDeclaration(queueName));
        return services;
    }

    /// <summary>Declares queues known only later (the host's function catalog, read on first use and not at start-up).</summary>
    public static IServiceCollection AddQueues(this IServiceCollection services, Func<IEnumerable<string>> queueNames)
    {
        services.AddSingleton(new QueueSource(queueNames));
        return services;
    }

    /// <summary>Declares a table the app uses, so that it exists before it is first used.</summary>
    public static IServiceCollection AddTable(this IServiceCollection services, string tableName)
    {
        services.AddSingleton(new TableDeclaration(tableName));
        return services;
    }


    /// <summary>Declares a blob container the app uses, so that it exists before it is first used.</summary>
    public static IServiceCollection AddBlobContainer(this IServiceCollection services, string name)
    {
        services.AddSingleton(new BlobContainerDeclaration(name));
        return services;
    }
}

public sealed record TableDeclaration(string Name);

/// <summary>A queue a function reads; <see cref="PoisonName"/> is where the host puts what keeps failing.</summary>
public sealed record QueueDeclaration(string Name)
{
    public static string PoisonName(string queueName) => queueName + "-poison";
}

/// <summary>Queues read when storage is first made ready, not when the app is composed.</summary>
public sealed record QueueSource(Func<IEnumerable<string>> Names);
