using System.Net.Sockets;
using Azure;

namespace Matching.Storage;

/// <summary>Tells a storage outage (answer 503 and retry later) from a bug or a bad request.</summary>
public static class StorageFailure
{
    /// <summary>A table or queue that should exist does not (deleted, or storage lost its data): recreate, then retry.</summary>
    public static bool IsMissingResource(Exception exception) =>
        exception is RequestFailedException { ErrorCode: "TableNotFound" or "QueueNotFound" };

    public static bool IsUnavailable(Exception exception)
    {
        if (IsMissingResource(exception)) return true;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case RequestFailedException { Status: 0 or 408 or 429 or 500 or 502 or 503 or 504 }:
                case HttpRequestException:
                case SocketException:
                case TimeoutException:
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsUnavailable):
                    return true;
            }
        }
        return false;
    }
}
