using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using Matching.WorkerStandIn.Rpc;

namespace Matching.WorkerStandIn;

/// <summary>
/// The host's end of the worker's one event stream: logs are kept, invocation responses complete the invocation
/// that waits for them, and every other message (start stream, init, metadata, load) is read in order by the
/// start-up exchange.
/// </summary>
internal sealed class WorkerStream
{
    private readonly TaskCompletionSource<IServerStreamWriter<StreamingMessage>> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<StreamingMessage> _control = Channel.CreateUnbounded<StreamingMessage>();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<InvocationResponse>> _invocations = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1); // a gRPC stream writer takes one write at a time
    private int _attached;

    public ConcurrentQueue<RpcLog> Logs { get; } = new();

    /// <summary>Serves the worker's call until it closes its side; a second connection is refused.</summary>
    public async Task RunAsync(IAsyncStreamReader<StreamingMessage> requests, IServerStreamWriter<StreamingMessage> responses, CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _attached, 1) == 1) throw new Grpc.Core.RpcException(new Status(StatusCode.AlreadyExists, "One worker per stand-in host."));
        _connected.TrySetResult(responses);
        try
        {
            await foreach (var message in requests.ReadAllAsync(ct))
            {
                switch (message.ContentCase)
                {
                    case StreamingMessage.ContentOneofCase.RpcLog:
                        Logs.Enqueue(message.RpcLog);
                        break;
                    case StreamingMessage.ContentOneofCase.InvocationResponse:
                        if (_invocations.TryRemove(message.InvocationResponse.InvocationId, out var waiting))
                            waiting.TrySetResult(message.InvocationResponse);
                        break;
                    default:
                        await _control.Writer.WriteAsync(message, ct);
                        break;
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { } // the worker went away
        finally
        {
            _control.Writer.TryComplete();
            foreach (var waiting in _invocations.Values) waiting.TrySetException(new InvalidOperationException("The worker closed its stream."));
        }
    }

    public Task WaitConnectedAsync(CancellationToken ct) => _connected.Task.WaitAsync(ct);

    /// <summary>The next start-up message; any other kind is a protocol error.</summary>
    public async Task<StreamingMessage> NextAsync(StreamingMessage.ContentOneofCase expected, CancellationToken ct)
    {
        if (!await _control.Reader.WaitToReadAsync(ct) || !_control.Reader.TryRead(out var message))
            throw new InvalidOperationException($"The worker closed its stream before sending {expected}.");
        return message.ContentCase == expected
            ? message
            : throw new InvalidOperationException($"Expected {expected} from the worker, got {message.ContentCase}.");
    }

    public async Task SendAsync(StreamingMessage message, CancellationToken ct)
    {
        var writer = await _connected.Task.WaitAsync(ct);
        await _writeLock.WaitAsync(ct);
        try { await writer.WriteAsync(message, ct); }
        finally { _writeLock.Release(); }
    }

    public async Task<InvocationResponse> InvokeAsync(InvocationRequest request, CancellationToken ct)
    {
        var waiting = new TaskCompletionSource<InvocationResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _invocations[request.InvocationId] = waiting;
        await SendAsync(new StreamingMessage { RequestId = Guid.NewGuid().ToString(), InvocationRequest = request }, ct);
        return await waiting.Task.WaitAsync(ct);
    }
}

/// <summary>The gRPC service the worker connects to (the host's FunctionRpc.EventStream).</summary>
internal sealed class FunctionRpcService(WorkerStream stream) : FunctionRpc.FunctionRpcBase
{
    public override Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream,
        ServerCallContext context) => stream.RunAsync(requestStream, responseStream, context.CancellationToken);
}
