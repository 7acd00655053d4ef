using Azure;

namespace Matching.Storage;

/// <summary>
/// Optimistic concurrency on Table Storage: a conditional write that lost to another (412, or 409 on a concurrent add)
/// is read again and retried after a short random pause. One that keeps losing reaches the problem mapping as a
/// lost race, a 409 for the caller, never a 500.
/// </summary>
public static class Contention
{
    public const int MaxAttempts = 40;

    /// <summary>The write lost a race: the row changed (412) or was added meanwhile (409), alone or in a transaction.</summary>
    public static bool IsLostRace(Exception exception) => exception is RequestFailedException { Status: 412 or 409 };

    /// <summary>A pause that grows with the attempt and spreads contenders out.</summary>
    public static Task BackOffAsync(int attempt, CancellationToken ct) =>
        Task.Delay(Random.Shared.Next(1, 5 + 5 * Math.Min(attempt, 20)), ct);

    /// <summary>
    /// The one retry loop of the app: reads, changes and writes (all inside <paramref name="attempt"/>) until the write
    /// wins a race. An attempt that learns of a lost race as a value (a conditional write that returns false) throws
    /// <see cref="Lost"/>, so that every loss is retried the same way.
    /// </summary>
    /// <param name="alsoLost">A row that a transaction meant to delete went meanwhile (404) counts as a lost race too.</param>
    /// <param name="maxAttempts">How many times to try before giving up.</param>
    /// <param name="whenExhausted">What giving up gives (it may throw the caller's own refusal); by default the last loss
    /// propagates, which the problem mapping answers as a 409.</param>
    /// <param name="onLost">What to forget after a loss, before the next attempt reads again (a cache).</param>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> attempt, CancellationToken ct, bool alsoLost = false, int maxAttempts = MaxAttempts,
        Func<T>? whenExhausted = null, Action? onLost = null)
    {
        for (var i = 0; ; i++)
        {
            try { return await attempt(); }
            catch (Exception ex) when (IsLostRace(ex) || alsoLost && ex is RequestFailedException { Status: 404 })
            {
                if (i >= maxAttempts - 1)
                {
                    if (whenExhausted is null) throw;
                    return whenExhausted();
                }
                onLost?.Invoke();
            }
            await BackOffAsync(i, ct);
        }
    }

    /// <summary>The same for an attempt with no result.</summary>
    public static Task RetryAsync(Func<Task> attempt, CancellationToken ct, bool alsoLost = false, int maxAttempts = MaxAttempts, Action? whenExhausted = null) =>
        RetryAsync(async () => { await attempt(); return true; }, ct, alsoLost, maxAttempts, whenExhausted is null ? null : () => { whenExhausted(); return true; });

    /// <summary>A lost race learnt as a value: the same exception a conditional write that lost throws.</summary>
    public static RequestFailedException Lost() => new(412, "The row changed meanwhile.", "UpdateConditionNotSatisfied", null);
}
