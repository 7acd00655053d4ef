using Matching.Engine;
using Matching.Mentoring;
using Matching.Mentoring.Sessions;

namespace Matching.UnitTests.Mentoring;

/// <summary>The request lifecycle's and the sessions' rules, each in one place, tried case by case (issue 30, item 6:
/// they had no unit tests; the functional tests reached them only through their paths).</summary>
public sealed class LifecycleRulesTests
{
    /// <summary>The whole table of which event applies in which status: every pair, not a sample.</summary>
    [Fact]
    public void Each_request_event_applies_in_exactly_the_statuses_of_the_lifecycle()
    {
        var expected = new Dictionary<RequestEvent, RequestStatus[]>
        {
            [RequestEvent.Scored] = [RequestStatus.Queued],
            [RequestEvent.Rescored] = [],
            [RequestEvent.Chosen] = [RequestStatus.Proposed],
            [RequestEvent.Accepted] = [RequestStatus.Offered],
            [RequestEvent.Declined] = [RequestStatus.Offered],
            [RequestEvent.OfferExpired] = [RequestStatus.Offered],
            [RequestEvent.ProposalsExpired] = [RequestStatus.Proposed],
            [RequestEvent.Cancelled] = [RequestStatus.Queued, RequestStatus.Proposed, RequestStatus.Offered, RequestStatus.NoCandidates],
            [RequestEvent.MatchEnded] = [RequestStatus.Matched],
        };
        Assert.Equal(Enum.GetValues<RequestEvent>().Order(), expected.Keys.Order());
        foreach (var e in Enum.GetValues<RequestEvent>())
            foreach (var status in Enum.GetValues<RequestStatus>())
                Assert.True(RequestLifecycle.Allows(status, e) == expected[e].Contains(status), $"{e} in {status}");
        // The states that end a request accept nothing (a match ends only once; a cancelled request stays cancelled).
        foreach (var end in new[] { RequestStatus.Ended, RequestStatus.Cancelled, RequestStatus.Expired })
            Assert.DoesNotContain(Enum.GetValues<RequestEvent>(), e => RequestLifecycle.Allows(end, e));
    }

    [Theory]
    [InlineData(RequestStatus.Queued, true), InlineData(RequestStatus.Proposed, true), InlineData(RequestStatus.Offered, true), InlineData(RequestStatus.Matched, true)]
    [InlineData(RequestStatus.Ended, false), InlineData(RequestStatus.NoCandidates, false), InlineData(RequestStatus.Cancelled, false), InlineData(RequestStatus.Expired, false)]
    public void A_request_holds_the_learners_single_slot_until_it_ends(RequestStatus status, bool holds) =>
        Assert.Equal(holds, RequestLifecycle.HoldsLearnerSlot(status));

    [Fact]
    public void Codes_are_camel_case_as_the_api_writes_them()
    {
        Assert.Equal("noCandidates", RequestLifecycle.Code(RequestStatus.NoCandidates));
        Assert.Equal("goalReachedJob", RequestLifecycle.Code(MatchOutcome.GoalReachedJob));
    }

    /// <summary>Who may change a session how, over every status, change and pair of sides.</summary>
    [Fact]
    public void The_side_that_did_not_propose_answers_and_either_side_moves_or_cancels_a_confirmed_session()
    {
        foreach (var status in Enum.GetValues<SessionStatus>())
            foreach (var change in Enum.GetValues<SessionChange>())
                foreach (var by in Enum.GetValues<Party>())
                    foreach (var proposer in Enum.GetValues<Party>())
                    {
                        var expected = (status, change) switch
                        {
                            (SessionStatus.Proposed, SessionChange.Confirm or SessionChange.Decline or SessionChange.Counter) => by != proposer,
                            (SessionStatus.Proposed, SessionChange.Cancel) => true,
                            (SessionStatus.Confirmed, SessionChange.Counter or SessionChange.Cancel) => true,
                            _ => false, // declined and cancelled sessions are over; a confirmed one is not confirmed again
                        };
                        Assert.True(SessionRules.Allows(status, change, by, proposer) == expected, $"{change} of a {status} session by the {by}, proposed by the {proposer}");
                    }
    }

    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Monday 2026-12-14, 18:30 in Paris (UTC+1 in winter).</summary>
    private static readonly DateTimeOffset Monday = new(2026, 12, 14, 18, 30, 0, TimeSpan.FromHours(1));

    private static (MentorRecord, LearnerProfileInput) Parties(IReadOnlyList<SessionMode>? learnerModes = null)
    {
        var evenings = new Availability("Europe/Paris", [new WeeklySlot(DayOfWeek.Monday, new TimeOnly(18, 0), new TimeOnly(21, 0))]);
        var mentor = new MentorRecord(Sample.Mentor("m1", availability: evenings, modes: [SessionMode.Video, SessionMode.Phone]), "Nadia", "nadia@example.org", null, Now);
        var learner = new LearnerProfileInput([new LanguageSkill("fr", Cefr.B1)], evenings, learnerModes ?? [SessionMode.Video, SessionMode.Phone]);
        return (mentor, learner);
    }

    private static IReadOnlyList<string> Fields(Matching.Platform.Validation v) => v.IsValid ? [] : v.Errors.Keys.Order().ToList();

    [Fact]
    public void A_session_must_fall_in_the_future_inside_both_availabilities_in_a_mode_both_accept()
    {
        var parties = Parties();
        Assert.Empty(Fields(SessionRules.Check(parties, Party.Mentor, new SessionProposal(Monday, 60, SessionMode.Phone), null, false, false, Now)));
        Assert.Equal(["start"], Fields(SessionRules.Check(parties, Party.Mentor, new SessionProposal(Monday.AddHours(2), 60, SessionMode.Phone), null, false, false, Now)));
        Assert.Equal(["start"], Fields(SessionRules.Check(parties, Party.Mentor, new SessionProposal(Monday, 60, SessionMode.Phone), null, false, false, Monday.AddDays(1))));
        Assert.Equal(["durationMinutes"], Fields(SessionRules.Check(parties, Party.Mentor, new SessionProposal(Monday, 10, SessionMode.Phone), null, false, false, Now)));
        Assert.Equal(["mode"], Fields(SessionRules.Check(Parties(learnerModes: [SessionMode.Video]), Party.Mentor, new SessionProposal(Monday, 60, SessionMode.Phone), null, false, false, Now)));
        Assert.Equal(["matchId"], Fields(SessionRules.Check(null, Party.Mentor, new SessionProposal(Monday, 60, SessionMode.Phone), null, false, false, Now)));
    }

    [Fact]
    public void Video_needs_the_mentors_https_link_and_a_field_that_does_not_fit_the_mode_is_refused()
    {
        var parties = Parties();
        // The learner's side may propose video without a link; the mentor gives it, at the latest when confirming.
        Assert.Empty(Fields(SessionRules.Check(parties, Party.Learner, new SessionProposal(Monday, 60, SessionMode.Video), null, false, false, Now)));
        Assert.Equal(["videoLink"], Fields(SessionRules.Check(parties, Party.Mentor, new SessionProposal(Monday, 60, SessionMode.Video), null, false, true, Now)));
        Assert.Equal(["videoLink"], Fields(SessionRules.Check(parties, Party.Mentor, new SessionProposal(Monday, 60, SessionMode.Video, "http://meet.example.org/x"), null, false, false, Now)));
        Assert.Empty(Fields(SessionRules.Check(parties, Party.Mentor, new SessionProposal(Monday, 60, SessionMode.Video, "https://meet.example.org/x"), null, false, false, Now)));
        Assert.Equal(["videoLink"], Fields(SessionRules.Check(parties, Party.Mentor, new SessionProposal(Monday, 60, SessionMode.Phone, "https://meet.example.org/x"), null, false, false, Now)));
        Assert.Equal(["venueId"], Fields(SessionRules.Check(parties, Party.Mentor, new SessionProposal(Monday, 60, SessionMode.Phone, VenueId: "v"), null, true, false, Now)));
        Assert.False(SessionRules.IsHttpsLink("https://" + new string('a', 500)));
    }
}
