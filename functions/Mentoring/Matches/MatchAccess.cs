using Azure.Data.Tables;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;

namespace Matching.Mentoring;

/// <summary>Which side of a match the caller is on: the mentor, or the learner (themself or their NGO's staff).</summary>
public enum Party { Mentor, Learner }

/// <param name="ByStaff">The learner's side is acted on by their NGO's staff, not by the learner themself.</param>
public sealed record MatchParty(MentorRequestRow Match, Party Party, bool ByStaff = false)
{
    public string Org => Match.Org;
    public string MentorId => Match.MentorId ?? "";
    public string LearnerId => Match.LearnerId;
}

/// <summary>
/// The one place that decides who may see a match: its mentor (found through their own partition), its learner,
/// and the learner's NGO staff (the NGO's partition). Anyone else gets nothing, as if it did not exist.
/// </summary>
public sealed class MatchAccess(TableServiceClient tables, StorageProvisioner provisioner, MentorDirectory mentors, MentoringLifecycle lifecycle,
    Learners.LearnerDirectory learners)
{
    /// <summary>The match as its parties see it, with both sides' names and contact channels.</summary>
    public async Task<MentoringApi.MatchView> ViewAsync(MentorRequestRow match, CancellationToken ct) =>
        MentoringApi.ToMatch(match, await learners.RowAsync(match.Org, match.LearnerId, ct), await mentors.FindAsync(match.MentorId ?? "", ct));

    /// <summary>The caller's matches, active and ended: a mentor's own, a learner's own, or all of the NGO's learners'.</summary>
    public async Task<IReadOnlyList<MentorRequestRow>> ListAsync(HttpContext http, CancellationToken ct)
    {
        var caller = http.Caller();
        var rows = new List<MentorRequestRow>();
        if (caller.Role == Role.Mentor)
        {
            var mentorId = MentorsApi.MyId(http);
            foreach (var prefix in new[] { MentorDirectory.MatchPrefix, MentorDirectory.EndedPrefix })
            foreach (var held in await mentors.HeldAsync(mentorId, prefix, ct))
                if (await lifecycle.RowAsync(held.Org, held.RequestId, ct) is { } row && row.MentorId == mentorId) rows.Add(row);
        }
        else if (caller.Role is Role.Ngo or Role.Learner)
        {
            await provisioner.EnsureReadyAsync(ct);
            var filter = caller.Role == Role.Learner
                ? TableClient.CreateQueryFilter($"PartitionKey eq {caller.OrganisationId} and LearnerId eq {caller.SubjectId} and MatchedAt ge {DateTimeOffset.MinValue.AddYears(1)}")
                : TableClient.CreateQueryFilter($"PartitionKey eq {caller.OrganisationId} and MatchedAt ge {DateTimeOffset.MinValue.AddYears(1)}");
            await foreach (var row in tables.GetTableClient(MentorRequests.Table).QueryAsync<TableEntity>(filter, cancellationToken: ct)) rows.Add(new MentorRequestRow(row));
        }
        return rows.Where(r => r.Status is RequestStatus.Matched or RequestStatus.Ended).ToList();
    }

    /// <summary>Ends a match with its outcome, for the API and the pages alike: the note's rule, the caller's checks, the lifecycle's refusals.</summary>
    public async Task<IResult> EndAsync(HttpContext http, string matchId, MentoringApi.EndMatchRequest body, CancellationToken ct)
    {
        var v = MentoringApi.Note(new Validation().Require(Enum.IsDefined(body.Outcome), "outcome",
            "goalReachedJob, goalReachedTraining, goalReachedProjectClear, learnerStopped, mentorUnavailable or other."), body.Note);
        if (!v.IsValid) return v.ToResult();
        if ((await FindAsync(http, matchId, ct))?.Match is not { } row) return Problems.NotFound("The match");
        var caller = http.Caller();
        return await MentoringApi.AnswerAsync(async () =>
            Results.Ok(await ViewAsync(await lifecycle.EndAsync(row.Org, row, caller.Role, body.Outcome, body.Note, ct), ct)));
    }

    public async Task<MatchParty?> FindAsync(HttpContext http, string matchId, CancellationToken ct)
    {
        if (!Ids.IsValid(matchId)) return null;
        var caller = http.Caller();
        MentorRequestRow? row;
        if (caller.Role == Role.Mentor)
        {
            // The mentor's own partition says which organisation's request it is; the row must name them as its mentor.
            var mentorId = MentorsApi.MyId(http);
            row = await mentors.OrgOfAsync(mentorId, matchId, ct) is { } org ? await lifecycle.RowAsync(org, matchId, ct) : null;
            if (row is not null && row.MentorId != mentorId) row = null;
        }
        else if (caller.Role is Role.Ngo or Role.Learner) row = await MentorRequests.FindAsync(caller, matchId, tables, provisioner, ct);
        else row = null;
        return row is not null && row.Status is RequestStatus.Matched or RequestStatus.Ended
            ? new MatchParty(row, caller.Role == Role.Mentor ? Party.Mentor : Party.Learner, ByStaff: caller.Role == Role.Ngo)
            : null;
    }
}
