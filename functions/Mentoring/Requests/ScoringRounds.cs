using System.Text.Json;
using Matching.Engine;

namespace Matching.Mentoring;

/// <summary>
/// What each scoring of a request saw, kept on the request row (one property per round, so a row stays far below
/// the 64 KiB property limit): the learner's profile and each proposed mentor's profile with their load and track
/// record at that moment, and the chance each proposal had to be shown. The training export writes them as dated
/// profile versions, so that outcomes are learned from the world as it was when the proposal was made, not as it is
/// when exported.
/// </summary>
public static class ScoringRounds
{
    public const int MaxRounds = 10;

    /// <param name="Propensities">Each proposal's chance to be shown (<see cref="Exploration"/>), in the order of <paramref name="Mentors"/>; null in rounds kept before it was logged.</param>
    public sealed record Round(DateTimeOffset At, string Scorer, LearnerProfile Learner, IReadOnlyList<MentorProfile> Mentors, IReadOnlyList<double>? Propensities = null);

    public static void Add(MentorRequestRow request, LearnerProfile learner, IReadOnlyList<MentorProfile> mentors, IReadOnlyList<double> propensities, string scorer, DateTimeOffset at)
    {
        var n = request.Rounds;
        if (n >= MaxRounds) return; // a request rescored ten times keeps its first ten rounds
        request.SetRoundJson(n, JsonSerializer.Serialize(new Round(at, scorer, learner, mentors, propensities), TrainingData.Json));
        request.Rounds = n + 1;
    }

    public static IReadOnlyList<Round> Read(MentorRequestRow request) =>
        Enumerable.Range(0, request.Rounds)
            .Select(i => request.RoundJson(i) is { } json ? JsonSerializer.Deserialize<Round>(json, TrainingData.Json) : null)
            .OfType<Round>().ToList();
}
