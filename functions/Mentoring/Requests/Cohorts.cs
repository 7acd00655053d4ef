using Azure.Data.Tables;
using Matching.Engine;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Mentoring;

/// <summary>
/// An NGO that brings a cohort places it at once instead of one learner after another: the placement is optimal under
/// the mentors' free places (<see cref="CohortAssignment.Solve"/>: each learner at most one mentor, the total score as
/// high as it can be, deterministic), and each placement goes into the lifecycle as a choice, offered to its mentor.
/// A learner's candidates are their request's proposals, because a mentor is only ever offered what was proposed.
/// </summary>
[Tags("Mentoring"), RequireRoles(Role.Ngo)]
public sealed class CohortFunctions(TableServiceClient tables, StorageProvisioner provisioner, MentorSnapshot snapshot, MentoringLifecycle lifecycle)
{
    public const int MaxRequests = 500;

    public sealed record CohortRequest([property: System.ComponentModel.DataAnnotations.Length(1, MaxRequests)] IReadOnlyList<string> RequestIds, double Fairness = 0);

    /// <summary>One request's outcome: offered (to <c>MentorId</c>), unplaced (no place left with its proposed mentors) or skipped (with the reason).</summary>
    public sealed record Placement(string RequestId, string Outcome, string? MentorId, double? Score, string? Reason);

    public sealed record CohortView(IReadOnlyList<Placement> Placements, int Offered, int Unplaced, int Skipped);

    [Function("PlaceCohort")]
    [EndpointSummary("Places a cohort of the NGO's proposed requests at once, optimally under the mentors' free places, and offers each placement to its mentor.")]
    [EndpointDescription("Each learner's candidates are their request's proposals; the total score of the placements is as high as the free places allow (fairness, 0 to 10, makes a mentor's further places cost more). A request not waiting for a choice is skipped with the reason.")]
    [AcceptsBody(typeof(CohortRequest)), ProducesResponseType<CohortView>(StatusCodes.Status200OK), ProducesValidationProblem]
    public async Task<IResult> PlaceAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/cohorts")] HttpRequest req, CancellationToken ct)
    {
        var body = await req.ReadJsonAsync<CohortRequest>(ct);
        var ids = body.RequestIds ?? [];
        var v = new Validation()
            .Require(ids.Count is > 0 and <= MaxRequests, "requestIds", Texts.Format("1 to {0} request ids.", MaxRequests))
            .Require(ids.All(Ids.IsValid) && ids.Distinct(StringComparer.Ordinal).Count() == ids.Count, "requestIds", "Request ids, each once.")
            .Require(double.IsFinite(body.Fairness) && body.Fairness is >= 0 and <= 10, "fairness", "From 0 to 10.");
        if (!v.IsValid) return v.ToResult();
        var caller = req.HttpContext.Caller();
        await snapshot.GetAsync(ct);

        var placements = new Placement[ids.Count];
        var waiting = new List<(int At, MentorRequestRow Row)>();
        for (var i = 0; i < ids.Count; i++)
        {
            var row = await MentorRequests.FindAsync(caller, ids[i], tables, provisioner, ct);
            if (row is null) placements[i] = new Placement(ids[i], "skipped", null, null, "not found");
            else if (row.Status != RequestStatus.Proposed)
                placements[i] = new Placement(ids[i], "skipped", null, null, $"the request is {RequestLifecycle.Code(row.Status)}, not waiting for a choice");
            else waiting.Add((i, row));
        }

        // Candidates: each request's proposals whose mentor is still active; free places as the snapshot has them.
        var mentors = new List<MentorProfile>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var candidates = waiting.Select(w => MentorRequests.ToView(w.Row).Proposals
            .Select(p => (Proposal: p, Mentor: snapshot.Find(p.MentorId)?.Profile))
            .Where(x => x.Mentor is { Paused: false })
            .Select(x =>
            {
                if (!index.TryGetValue(x.Mentor!.Id, out var m)) { index[x.Mentor.Id] = m = mentors.Count; mentors.Add(x.Mentor); }
                return (m, (float)x.Proposal.Score);
            }).ToList()).ToList();
        var solved = CohortAssignment.Solve(candidates, m => Math.Max(0, mentors[m].Capacity - mentors[m].Load), body.Fairness);

        for (var k = 0; k < waiting.Count; k++)
        {
            var (at, row) = waiting[k];
            if (solved[k] is not { } placed)
            {
                placements[at] = new Placement(row.Id, "unplaced", null, null, "no place left with its proposed mentors: choose later");
                continue;
            }
            var mentorId = mentors[placed.Mentor].Id;
            try
            {
                await lifecycle.ChooseAsync(caller, row.Id, mentorId, ct);
                placements[at] = new Placement(row.Id, "offered", mentorId, Math.Round(placed.Score, 1), null);
            }
            catch (TransitionRefusedException refused) // the mentor's last place was taken meanwhile
            {
                placements[at] = new Placement(row.Id, "unplaced", null, null, refused.Message);
            }
        }
        return Results.Ok(new CohortView(placements, placements.Count(p => p.Outcome == "offered"), placements.Count(p => p.Outcome == "unplaced"),
            placements.Count(p => p.Outcome == "skipped")));
    }
}
