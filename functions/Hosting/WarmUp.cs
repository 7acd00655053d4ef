namespace Matching.Hosting;

/// <summary>
/// Between start-up and the first request the worker mostly waits while the Functions host loads its functions (a few
/// hundred milliseconds). In that time, in the background, the warm-up reads the function catalog (reflection over the
/// app, about 30 ms) and probes storage once (the first connections and the Azure SDK's first calls, 50-100 ms), so that
/// the first request does neither. Nothing waits for it; what fails is tried again by the request that needs it.
/// </summary>
public sealed class WarmUp(IServiceProvider services, ILogger<WarmUp> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(async () =>
        {
            try
            {
                services.GetRequiredService<FunctionCatalog>();
                await services.GetRequiredService<Health.StorageHealth>().CheckAsync();
            }
            catch (Exception ex) { logger.LogDebug("The warm-up did not finish: {ErrorType}", ex.GetType().Name); }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
