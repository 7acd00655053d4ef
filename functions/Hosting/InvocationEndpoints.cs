using System.Text.Json;
using Matching.Platform;

namespace Matching.Hosting;

/// <summary>
/// The custom-handler adapter for non-HTTP functions: the host POSTs an invocation payload to
/// <c>/{FunctionName}</c> (no /api prefix). A non-2xx answer fails the invocation, so the host retries and
/// finally poisons the message.
/// </summary>
public static class InvocationEndpoints
{
    // The host's contract is PascalCase (Outputs, Logs, ReturnValue), not the API's camelCase.
    private static readonly JsonSerializerOptions ResponseJson = new();
    private static readonly object Success = new { Outputs = new { }, Logs = Array.Empty<string>(), ReturnValue = (object?)null };

    public static void MapFunctionInvocations(this IEndpointRouteBuilder app)
    {
        app.MapPost("/{functionName}", InvokeAsync)
            .ExcludeFromDescription()
            .WithMetadata(new ExcludeFromFunctionPackage())
            .WithMetadata(new LoopbackOnly());
    }

    private static async Task<IResult> InvokeAsync(string functionName, HttpRequest request, FunctionCatalog catalog,
        FunctionInvoker invoker, CancellationToken cancellationToken)
    {
        var queue = catalog.FindQueueFunction(functionName);
        var timer = catalog.FindTimerFunction(functionName);
        if (queue is null && timer is null)
            return Problems.Result(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Unknown function",
                $"No queue or timer function is named '{functionName}'.");

        JsonElement payload;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            payload = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, ProblemTypes.InvalidJson, "Invalid invocation payload", ex.Message);
        }

        try
        {
            if (queue is not null)
                await invoker.InvokeAsync(queue, InvocationPayload.ReadQueueMessage(payload), cancellationToken);
            else
                await invoker.InvokeAsync(timer!, InvocationPayload.ReadTimer(payload), cancellationToken);
        }
        catch (InvalidInvocationException ex)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, ProblemTypes.InvalidInvocation, "Invalid invocation payload", ex.Message);
        }
        catch (Exception ex) when (!Matching.Storage.StorageFailure.IsUnavailable(ex) && ex is not OperationCanceledException)
        {
            return Problems.Result(StatusCodes.Status500InternalServerError, ProblemTypes.FunctionFailed, "The function failed",
                "The invocation failed and will be retried by the host.");
        }
        return Results.Json(Success, ResponseJson, statusCode: StatusCodes.Status200OK);
    }
}

/// <summary>Marks a route that is part of the hosting plumbing, not an HTTP function.</summary>
public sealed class ExcludeFromFunctionPackage;

/// <summary>Marks a route only the local Functions host may call.</summary>
public sealed class LoopbackOnly;
