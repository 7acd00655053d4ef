using System.Collections.Concurrent;

namespace Matching.Platform;

/// <summary>
/// A read made once per page request: the page gate opens a memo for a GET, and a read asked twice in it (the learner's
/// row, by the session check and by the page) is one storage call. Nothing written is ever served from it: only GETs
/// open one, and no page writes on a GET. Outside a memo every read goes to storage.
/// </summary>
public static class RequestMemo
{
    private static readonly AsyncLocal<ConcurrentDictionary<object, object>?> Current = new();

    /// <summary>Opens a memo for the rest of this request's flow; disposing closes it.</summary>
    public static IDisposable Begin()
    {
        Current.Value = new ConcurrentDictionary<object, object>();
        return new Closing();
    }

    public static Task<T> OnceAsync<T>(object key, Func<Task<T>> read) =>
        Current.Value is { } memo ? (Task<T>)memo.GetOrAdd(key, _ => read()) : read();

    private sealed class Closing : IDisposable
    {
        public void Dispose() => Current.Value = null;
    }
}
