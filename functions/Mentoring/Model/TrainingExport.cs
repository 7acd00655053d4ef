using System.Text;
using Azure.Data.Tables;
using Matching.Engine;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Mentoring;

/// <summary>
/// Every settled proposal's outcome, in the training format (docs/training-data.md), read by <c>train</c> as it is.
/// Per request: the learner and each proposed mentor as dated versions (profile, load and record when the proposal
/// was made), then one outcome per proposal. Ids are pseudonymised with a keyed hash (stable across exports, so
/// rounds join up); no names, contacts, notes or comments ever leave, and free text (bio, occupation, sector) only as
/// keyed word codes. Settled: ended or expired requests, matches with a session held, and declines on any request.
/// Streamed row by row from the requests table: memory stays flat.
/// </summary>
public sealed class TrainingExport(TableServiceClient tables, StorageProvisioner provisioner, PseudonymKey pseudonymKey, MentorDirectory mentors)
{
    public async Task WriteAsync(Stream output, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var key = await pseudonymKey.GetAsync(ct);
        string P(string kind, string id) => kind[0] + Ids.Derive(key, kind, id)[..20];
        // Free text leaves only as keyed word codes (the text features are computed from them as from the words);
        // an erased mentor's text not at all.
        string? Text(string? text) => TextVector.Pseudonymised(text, word => Ids.Derive(key, "word", word)[..6]);
        var erased = await mentors.ErasedIdsAsync(ct);
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16);
        await foreach (var entity in tables.GetTableClient(MentorRequests.Table).QueryAsync<TableEntity>(Notifications.Outbox.NotOutbox, maxPerPage: 1000, cancellationToken: ct))
        {
            var row = new MentorRequestRow(entity);
            var status = row.Status;
            var declines = row.Declines;
            // An active match is settled once a session was held; until then its outcome is not known yet.
            var settled = status is RequestStatus.Ended or RequestStatus.Expired || status == RequestStatus.Matched && row.SessionsHeld > 0;
            if (!settled && declines.Count == 0) continue;
            var rounds = ScoringRounds.Read(row);
            if (rounds.Count == 0) continue;
            var goals = row.Goals;
            var learnerId = P("learner", row.Org + "|" + row.LearnerId);
            var requestId = P("request", row.Id);
            var matchedMentor = status is RequestStatus.Matched or RequestStatus.Ended ? row.MentorId : null;
            var offered = row.History.Where(h => h.Event == RequestEvent.Chosen && h.MentorId is not null).Select(h => h.MentorId!).ToHashSet();
            var ratingCount = row.RatingCount;
            int? rating = ratingCount > 0 ? (int)Math.Round((double)row.RatingSum / ratingCount, MidpointRounding.AwayFromZero) : null;
            foreach (var round in rounds)
            {
                await writer.WriteLineAsync(TrainingData.Line("learner", round.Learner with
                {
                    Id = learnerId, TargetOccupation = Text(round.Learner.TargetOccupation), TargetSector = Text(round.Learner.TargetSector),
                }, round.At));
                foreach (var mentor in round.Mentors)
                {
                    var gone = erased.Contains(mentor.Id);
                    await writer.WriteLineAsync(TrainingData.Line("mentor", mentor with
                    {
                        Id = P("mentor", mentor.Id), Bio = gone ? null : Text(mentor.Bio), Occupation = gone ? null : Text(mentor.Occupation),
                        Sector = gone ? null : Text(mentor.Sector),
                    }, round.At));
                }
                for (var rank = 0; rank < round.Mentors.Count; rank++)
                {
                    var mentorId = round.Mentors[rank].Id;
                    var decline = declines.FirstOrDefault(d => d.MentorId == mentorId);
                    // Only what is known is written: a proposal still open on an unsettled request is left out.
                    if (!settled && decline is null) continue;
                    var accepted = mentorId == matchedMentor;
                    await writer.WriteLineAsync(TrainingData.Line("outcome", new Outcome(requestId, learnerId, P("mentor", mentorId), goals, null,
                        accepted, accepted && row.SessionsHeld > 0, accepted ? rating : null, round.At, rank + 1,
                        offered.Contains(mentorId), decline?.Reason, round.Propensities is { } p && rank < p.Count ? p[rank] : null)));
                }
            }
        }
    }
}

[Tags("Mentoring"), RequireRoles(Role.Operator)]
public sealed class TrainingExportFunctions(TrainingExport export, AuditTrail audit)
{
    public const string ContentType = "application/x-ndjson";

    [Function("ExportTrainingData")]
    [EndpointSummary("Platform operators only: every settled proposal's outcome in the training format (JSON Lines), ids pseudonymised, profiles as they were when proposed.")]
    [Produces(ContentType), ProducesResponseType<string>(StatusCodes.Status200OK, ContentType)]
    public async Task<IResult> ExportAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/exports/training-data")] HttpRequest req)
    {
        // Platform-wide, so recorded in the platform's own trail.
        await audit.WriteAsync(Organisations.Person.Platform, req.HttpContext.Caller().SubjectId, "training-data.exported", null, req.HttpContext.RequestAborted);
        return Results.Stream(stream => export.WriteAsync(stream, req.HttpContext.RequestAborted), ContentType + "; charset=utf-8");
    }
}
