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

    /// <summary>Reads, changes and writes (all inside <paramref name="attempt"/>) until the write wins a race.</summary>
    /// <param name="alsoLost">A row that a transaction meant to delete went meanwhile (404) counts as a lost race too.</param>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> attempt, CancellationToken ct, bool alsoLost = false)
    {
        for (var i = 0; ; i++)
        {
            try { return await attempt(); }
            catch (Exception ex) when ((IsLostRace(ex) || alsoLost && ex is RequestFailedException { Status: 404 }) && i < MaxAttempts - 1) { }
            await BackOffAsync(i, ct);
        }
    }
}
