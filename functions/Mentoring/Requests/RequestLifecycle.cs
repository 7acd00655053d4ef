namespace Matching.Mentoring;

/// <summary>
/// Where a mentor request stands. Queued: being scored. Proposed: proposals shown to the learner, none offered
/// (they hold no capacity). Offered: one proposal offered to its mentor, who holds a unit of capacity for it.
/// Matched: the mentor accepted. Ended: the match ended with an outcome. NoCandidates, Cancelled and Expired end
/// the request without a match.
/// </summary>
public enum RequestStatus { Queued, Proposed, Offered, Matched, Ended, NoCandidates, Cancelled, Expired }

/// <summary>What can happen to a request.</summary>
public enum RequestEvent { Scored, Chosen, Accepted, Declined, OfferExpired, ProposalsExpired, Rescored, Cancelled, MatchEnded }

/// <summary>Why a mentor declines an offer.</summary>
public enum DeclineReason { NoTimeNow, OutsideExpertise, TooFar, Language, Other }

/// <summary>How a match ended.</summary>
public enum MatchOutcome { GoalReachedJob, GoalReachedTraining, GoalReachedProjectClear, LearnerStopped, MentorUnavailable, Other }

/// <summary>One step in a request's history: ids and codes only (it feeds the training export), never free text.</summary>
public sealed record RequestHistoryEntry(DateTimeOffset At, RequestEvent Event, string? MentorId = null, string? Reason = null);

/// <summary>
/// The one place for the request state machine's rules: which event applies in which status. Every transition
/// checks here first; an event that no longer applies is a 409 carrying the current status.
/// </summary>
public static class RequestLifecycle
{
    private static readonly Dictionary<RequestEvent, RequestStatus[]> AppliesIn = new()
    {
        [RequestEvent.Scored] = [RequestStatus.Queued],
        [RequestEvent.Chosen] = [RequestStatus.Proposed],
        [RequestEvent.Accepted] = [RequestStatus.Offered],
        [RequestEvent.Declined] = [RequestStatus.Offered],
        [RequestEvent.OfferExpired] = [RequestStatus.Offered],
        [RequestEvent.ProposalsExpired] = [RequestStatus.Proposed],
        [RequestEvent.Cancelled] = [RequestStatus.Queued, RequestStatus.Proposed, RequestStatus.Offered, RequestStatus.NoCandidates],
        [RequestEvent.MatchEnded] = [RequestStatus.Matched],
    };

    public static bool Allows(RequestStatus status, RequestEvent e) => AppliesIn.TryGetValue(e, out var from) && from.Contains(status);

    /// <summary>A request in these states holds the learner's single active slot.</summary>
    public static bool HoldsLearnerSlot(RequestStatus status) =>
        status is RequestStatus.Queued or RequestStatus.Proposed or RequestStatus.Offered or RequestStatus.Matched;

    /// <summary>Codes as the API writes them (camelCase), for problems and history.</summary>
    public static string Code<T>(T value) where T : struct, Enum => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(value.ToString());
}
