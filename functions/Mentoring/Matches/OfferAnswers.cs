using Matching.Engine;
using Matching.Learners;
using Matching.Platform;

namespace Matching.Mentoring;

/// <summary>
/// A mentor's answers to the offers addressed to them, with their rules in one place: the API's functions and the
/// mentor's pages call these with the caller the gate put on the request.
/// </summary>
public sealed class OfferAnswers(MentorDirectory mentors, MentoringLifecycle lifecycle, LearnerDirectory learners, MatchAccess access)
{
    /// <summary>The offers awaiting the calling mentor's answer, soonest to expire first: what is asked, never who asks.</summary>
    public async Task<IReadOnlyList<MentoringApi.MentorOfferView>> ListAsync(HttpContext http, CancellationToken ct)
    {
        var mentorId = MentorsApi.MyId(http);
        var offers = new List<MentoringApi.MentorOfferView>();
        foreach (var held in await mentors.HeldAsync(mentorId, MentorDirectory.OfferPrefix, ct))
        {
            var row = await lifecycle.RowAsync(held.Org, held.RequestId, ct);
            if (row is null || row.Status != RequestStatus.Offered || row.OfferedTo != mentorId) continue;
            var profile = await learners.RowAsync(held.Org, row.LearnerId, ct) is { } l ? LearnerProfiles.Read(l) : null;
            var view = MentorRequests.ToView(row);
            var proposal = view.Proposals.FirstOrDefault(p => p.MentorId == mentorId);
            offers.Add(new MentoringApi.MentorOfferView(row.Id, view.Goals, view.GoalText, profile?.Languages ?? [],
                profile?.Modes ?? [], profile?.TargetOccupation,
                proposal?.Because is { } because ? ExplanationWords.Text(new Explanations.Reasons(because, proposal.Against), toMentor: true) : proposal?.Explanation,
                row.OfferedAt ?? held.Since,
                row.OfferExpiresAt));
        }
        return offers.OrderBy(o => o.ExpiresAt).ToList();
    }

    /// <summary>Accepts: the match (200), or why not (404 not theirs or gone, 409 no longer offered).</summary>
    public Task<IResult> AcceptAsync(HttpContext http, string requestId, CancellationToken ct)
    {
        var mentorId = MentorsApi.MyId(http);
        return MentoringApi.AnswerAsync(async () =>
            await lifecycle.AcceptAsync(mentorId, requestId, ct) is { } row ? Results.Ok(await access.ViewAsync(row, ct)) : Problems.NotFound("The offer"));
    }

    /// <summary>Declines with a reason and an optional note for the NGO (204), or why not (400, 404, 409).</summary>
    public Task<IResult> DeclineAsync(HttpContext http, string requestId, MentoringApi.DeclineRequest body, CancellationToken ct)
    {
        var v = MentoringApi.Note(new Validation().Require(Enum.IsDefined(body.Reason), "reason", "noTimeNow, outsideExpertise, tooFar, language or other."), body.Note);
        if (!v.IsValid) return Task.FromResult(v.ToResult());
        var mentorId = MentorsApi.MyId(http);
        return MentoringApi.AnswerAsync(async () =>
            await lifecycle.DeclineAsync(mentorId, requestId, body.Reason, body.Note, ct) is null ? Problems.NotFound("The offer") : Results.NoContent());
    }
}
