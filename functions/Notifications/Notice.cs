using System.Text.Json.Serialization;

namespace Matching.Notifications;

/// <summary>What happened that a person (or an organisation's own tools) is told about.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NoticeType>))]
public enum NoticeType
{
    OfferAwaiting, OfferExpiring, OfferAccepted, OfferDeclined, ProposalsReady, NoCandidates, MatchEnded,
    SessionProposed, SessionConfirmed, SessionMoved, SessionCancelled, SessionReminder, CheckInDue,
    FollowUpAlert,
    ClaimConfirmed, ClaimHeld, ClaimWaitlisted, ClaimPromoted, ClaimHoldExpiring,
}

/// <summary>Who a notice is for. Webhooks go to the organisation named by <see cref="Notice.Org"/> (or the offer's provider).</summary>
[Flags]
public enum Audience { None = 0, Mentor = 1, Learner = 2, NgoStaff = 4, ProviderStaff = 8 }

/// <summary>
/// One event, as written in the outbox beside the state change it reports. It holds ids and times only: names,
/// addresses and free text are read when a delivery is made, so that an erased person is told nothing and a queue
/// message never carries personal data.
/// </summary>
/// <param name="Id">Unique; with the recipient it makes the delivery's id, so that a retried delivery is recognised.</param>
/// <param name="Org">The organisation the event belongs to (the learner's NGO, or the claiming NGO).</param>
/// <param name="When">The time the notice is about (a session's start, an offer's or a hold's expiry).</param>
/// <param name="Reason">A code (a decline reason, an alert kind, a match outcome), never free text.</param>
/// <param name="ProviderOrg">For a seat claim, the offer's provider (its webhooks hear of claims on its offers).</param>
/// <param name="Actor">Who made the change: <c>mentor</c>, <c>learner</c> (the learner themself) or <c>staff</c> (the NGO's
/// staff, for their learner). The one who acted is not told of their own act; the learner is told of what staff did for them.</param>
/// <param name="Then">What happened next, as a code, where the reader's next step depends on it: after a decline,
/// <c>next-offered</c> (the next proposal went out) or <c>rescoring</c> (none was left: the request is scored again).</param>
public sealed record Notice(string Id, NoticeType Type, string Org, DateTimeOffset At,
    string? RequestId = null, string? MentorId = null, string? LearnerId = null, string? SessionId = null,
    string? OfferId = null, string? ClaimId = null, DateTimeOffset? When = null, string? Reason = null, string? ProviderOrg = null, string? Actor = null,
    string? Then = null)
{
    public static Notice New(NoticeType type, string org, DateTimeOffset at) => new(Platform.Ids.New(), type, org, at);
}

/// <summary>The one place that says who hears of what, and under which CloudEvents type.</summary>
public static class NoticeRules
{
    public static Audience AudienceOf(NoticeType type) => type switch
    {
        NoticeType.OfferAwaiting or NoticeType.OfferExpiring => Audience.Mentor,
        NoticeType.OfferAccepted => Audience.Mentor | Audience.Learner | Audience.NgoStaff,
        NoticeType.OfferDeclined or NoticeType.ProposalsReady or NoticeType.NoCandidates or NoticeType.FollowUpAlert => Audience.NgoStaff,
        NoticeType.MatchEnded => Audience.Mentor | Audience.Learner | Audience.NgoStaff,
        // Staff follow their learners' sessions as they are proposed, moved or cancelled (not every confirmation or reminder).
        NoticeType.SessionProposed or NoticeType.SessionMoved or NoticeType.SessionCancelled => Audience.Mentor | Audience.Learner | Audience.NgoStaff,
        NoticeType.SessionConfirmed or NoticeType.SessionReminder or NoticeType.CheckInDue => Audience.Mentor | Audience.Learner,
        NoticeType.ClaimConfirmed or NoticeType.ClaimHeld or NoticeType.ClaimWaitlisted or NoticeType.ClaimPromoted or NoticeType.ClaimHoldExpiring => Audience.NgoStaff,
        _ => Audience.None,
    };

    /// <summary>The event's name for people's tools: <c>offer.awaiting</c>, <c>session.reminder</c>.</summary>
    public static string Code(NoticeType type) => type switch
    {
        NoticeType.OfferAwaiting => "offer.awaiting",
        NoticeType.OfferExpiring => "offer.expiring",
        NoticeType.OfferAccepted => "offer.accepted",
        NoticeType.OfferDeclined => "offer.declined",
        NoticeType.ProposalsReady => "proposals.ready",
        NoticeType.NoCandidates => "request.no-candidates",
        NoticeType.MatchEnded => "match.ended",
        NoticeType.SessionProposed => "session.proposed",
        NoticeType.SessionConfirmed => "session.confirmed",
        NoticeType.SessionMoved => "session.moved",
        NoticeType.SessionCancelled => "session.cancelled",
        NoticeType.SessionReminder => "session.reminder",
        NoticeType.CheckInDue => "checkin.due",
        NoticeType.FollowUpAlert => "followup.alert",
        NoticeType.ClaimConfirmed => "claim.confirmed",
        NoticeType.ClaimHeld => "claim.held",
        NoticeType.ClaimWaitlisted => "claim.waitlisted",
        NoticeType.ClaimPromoted => "claim.promoted",
        NoticeType.ClaimHoldExpiring => "claim.hold-expiring",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The CloudEvents <c>type</c> (reverse-DNS, as the spec recommends).</summary>
    public static string CloudEventType(NoticeType type) => "org.matching." + Code(type);

    public static bool TryParseCode(string code, out NoticeType type)
    {
        foreach (var t in Enum.GetValues<NoticeType>())
            if (Code(t) == code) { type = t; return true; }
        type = default;
        return false;
    }

    /// <summary>Reminders wait for the end of a person's quiet hours; news of a change is sent at once unless they asked otherwise.</summary>
    public static bool IsReminder(NoticeType type) => type is NoticeType.SessionReminder or NoticeType.OfferExpiring or NoticeType.CheckInDue or NoticeType.ClaimHoldExpiring;
}
