using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Matching.Learners;
using Matching.Mentoring.Sessions;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Matching.Mentoring;

/// <summary>
/// Right of access and right to erasure for the people of mentoring. An export gives everything stored about the
/// person. An erasure gives back what they held (an offer is declined for them, so the learner's next proposal is
/// offered; an active match ends; a request is cancelled), then removes profiles, contact channels and free text
/// (notes, comments, goal text, places in the scoring snapshots), and keeps only pseudonymous outcome rows and counts
/// (request rows with opaque ids, statuses, dates, reason codes, ratings): what the impact reports and the training
/// export need, and nothing that names anyone.
/// </summary>
public sealed class PersonalData(TableServiceClient tables, StorageProvisioner provisioner, MentorDirectory mentors, MentoringLifecycle lifecycle,
    SessionBook sessionBook, LearnerDirectory learners, QueueSender queue, Notifications.PreferenceBook preferences, TimeProvider time) : ILearnerData
{
    private TableClient Requests => tables.GetTableClient(MentorRequests.Table);
    private TableClient Sessions => tables.GetTableClient(SessionBook.Table);
    private TableClient CheckIns => tables.GetTableClient(SessionBook.CheckInTable);

    public string Section => "mentoring";

    // ---- mentors ----

    public async Task<object?> ExportMentorAsync(string mentorId, CancellationToken ct)
    {
        if (await mentors.FindAsync(mentorId, ct) is not { } mentor) return null;
        var held = new List<object>();
        var declines = new List<object>();
        var checkIns = new List<object>();
        foreach (var prefix in new[] { MentorDirectory.OfferPrefix, MentorDirectory.MatchPrefix, MentorDirectory.EndedPrefix, MentorDirectory.DeclinedPrefix })
            foreach (var (org, requestId, since) in await mentors.HeldAsync(mentorId, prefix, ct))
            {
                var row = await lifecycle.RowAsync(org, requestId, ct);
                held.Add(new { kind = prefix.TrimEnd('|'), requestId, since, status = row is null ? null : RequestLifecycle.Code(row.Status),
                    matchedAt = row?.MatchedAt, endedAt = row?.EndedAt, outcome = row?.Outcome });
                if (row is not null)
                    declines.AddRange(row.Declines.Where(d => d.MentorId == mentorId).Select(d => (object)new { requestId, d.Reason, d.At, d.Note }));
                if (prefix is MentorDirectory.MatchPrefix or MentorDirectory.EndedPrefix)
                    foreach (var s in await sessionBook.ListAsync(org, requestId, ct))
                        if (s.AttendanceOf(Party.Mentor) is { } attendance)
                            checkIns.Add(new { sessionId = s.SessionId, start = (DateTimeOffset?)s.Start, attendance = attendance.ToString(), rating = s.RatingOf(Party.Mentor), comment = s.CommentOf(Party.Mentor) });
            }
        return new { profile = MentorsApi.ToView(mentor), offersAndMatches = held, declines, checkIns, exportedAt = time.GetUtcNow() };
    }

    public async Task<bool> EraseMentorAsync(string mentorId, CancellationToken ct)
    {
        if (await mentors.FindAsync(mentorId, ct) is null) return false;
        // Stop new proposals at once, then give back what the mentor holds.
        await mentors.SetPausedAsync(mentorId, true, ct);
        foreach (var (org, requestId, _) in await mentors.HeldAsync(mentorId, MentorDirectory.OfferPrefix, ct))
            try { await lifecycle.DeclineAsync(mentorId, requestId, DeclineReason.Other, null, ct); }
            catch (TransitionRefusedException) { await mentors.ReleaseOfferAsync(mentorId, org, requestId, ct); }
        foreach (var (org, requestId, _) in await mentors.HeldAsync(mentorId, MentorDirectory.MatchPrefix, ct))
            if (await lifecycle.RowAsync(org, requestId, ct) is { } row && row.Status == RequestStatus.Matched)
                await lifecycle.EndAsync(org, row, Role.Mentor, MatchOutcome.MentorUnavailable, null, ct);
        // Free text they wrote about learners goes; codes and ratings stay.
        foreach (var prefix in new[] { MentorDirectory.MatchPrefix, MentorDirectory.EndedPrefix, MentorDirectory.DeclinedPrefix })
            foreach (var (org, requestId, _) in await mentors.HeldAsync(mentorId, prefix, ct))
            {
                await ScrubRequestAsync(org, requestId, row =>
                {
                    row.Declines = row.Declines.Select(d => d.MentorId == mentorId ? d with { Note = null } : d).ToList();
                    if (row.EndedBy == "mentor") row.EndNote = null;
                }, ct);
                foreach (var s in await sessionBook.ListAsync(org, requestId, ct))
                    if (s.CommentOf(Party.Mentor) is not null) { s.ForgetComment(Party.Mentor); await Sessions.UpdateEntityAsync(s.Entity, ETag.All, TableUpdateMode.Replace, ct); }
            }
        // Proposals and scoring snapshots name the mentor in requests their own partition does not list: a queue
        // function scrubs them (before the tombstone, so that a retried erasure sends it again).
        await queue.SendAsync(ScrubErasedMentor.Queue, new ScrubErasedMentor.Message(mentorId), ct);
        await preferences.ForgetAsync(new Notifications.Recipient(Notifications.RecipientKind.Mentor, "", mentorId), ct);
        await mentors.EraseAsync(mentorId, ct);
        return true;
    }

    /// <summary>
    /// Removes an erased mentor's name and free text from every request that proposed them: the proposal's display
    /// name and occupation, and the bio, occupation and sector of their scoring snapshots. Scans the requests table
    /// (erasures are rare); each row is rewritten only if it names the mentor, conditioned on its ETag. Idempotent.
    /// </summary>
    public async Task<int> ScrubMentorAsync(string mentorId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var scrubbed = 0;
        await foreach (var entity in Requests.QueryAsync<TableEntity>(Notifications.Outbox.NotOutbox, maxPerPage: 1000, cancellationToken: ct))
        {
            var row = new MentorRequestRow(entity);
            if (!row.Names(mentorId)) continue;
            await ScrubRequestAsync(row.Org, row.Id, r => ScrubMentor(r, mentorId), ct);
            scrubbed++;
        }
        return scrubbed;
    }

    private static void ScrubMentor(MentorRequestRow row, string mentorId)
    {
        row.Proposals = row.Proposals.Select(p => p.MentorId == mentorId ? p with { DisplayName = null, Occupation = null } : p).ToList();
        foreach (var (round, i) in ScoringRounds.Read(row).Select((x, i) => (x, i)))
            row.SetRoundJson(i, JsonSerializer.Serialize(round with
            {
                Mentors = round.Mentors.Select(m => m.Id == mentorId ? m with { Bio = null, Occupation = null, Sector = null } : m).ToList(),
            }, Engine.TrainingData.Json));
    }

    // ---- learners (called by the learners' export and erasure) ----

    /// <summary>
    /// A learner's mentoring data. Their NGO's staff see everything, notes meant for staff included (a mentor's decline
    /// note); the learner's own export leaves those out, as the API does everywhere else: the NGO, which answers access
    /// requests as the controller, exports the whole for them when it has reviewed the third parties' words.
    /// </summary>
    public async Task<object?> ExportAsync(string org, string learnerId, bool forStaff, CancellationToken ct)
    {
        var requests = new List<object>();
        await foreach (var row in RequestsOfAsync(org, learnerId, ct))
        {
            var sessions = new List<object>();
            foreach (var s in await sessionBook.ListAsync(org, row.Id, ct))
                sessions.Add(new { sessionId = s.SessionId, status = s.Status.ToString(), start = (DateTimeOffset?)s.Start, mode = s.Mode.ToString(),
                    venue = s.VenueName, attendance = s.AttendanceOf(Party.Learner)?.ToString(), rating = s.RatingOf(Party.Learner), comment = s.CommentOf(Party.Learner) });
            requests.Add(new { request = MentorRequests.ToView(row, forStaff), sessions });
        }
        var profile = await learners.RowAsync(org, learnerId, ct) is { } learner ? LearnerProfiles.Read(learner) : null;
        return new { profile = forStaff || profile is null ? profile : profile with { Notes = null }, requests };
    }

    public async Task EraseAsync(string org, string learnerId, CancellationToken ct)
    {
        await foreach (var row in RequestsOfAsync(org, learnerId, ct))
        {
            var status = row.Status;
            var caller = new Caller("erasure", Role.Ngo, org);
            if (RequestLifecycle.Allows(status, RequestEvent.Cancelled)) await lifecycle.CancelAsync(caller, row.Id, ct); // gives an offer's capacity back
            else if (status == RequestStatus.Matched) await lifecycle.EndAsync(org, row, Role.Ngo, MatchOutcome.LearnerStopped, null, ct);
            await ScrubRequestAsync(org, row.Id, r =>
            {
                r.GoalText = null;
                r.EndNote = null;
                r.Declines = r.Declines.Select(d => d with { Note = null }).ToList();
                // The learner's place in the scoring snapshots is what could point back to them: it goes.
                foreach (var (round, i) in ScoringRounds.Read(r).Select((x, i) => (x, i)))
                    r.SetRoundJson(i, JsonSerializer.Serialize(round with { Learner = round.Learner with { Place = null } }, Engine.TrainingData.Json));
            }, ct);
            foreach (var s in await sessionBook.ListAsync(org, row.Id, ct))
            {
                s.ForgetComment(Party.Learner);
                s.ForgetComment(Party.Mentor); // written about the learner
                await Sessions.UpdateEntityAsync(s.Entity, ETag.All, TableUpdateMode.Replace, ct);
            }
        }
        var pending = TableClient.CreateQueryFilter($"PartitionKey eq {SessionBook.CheckInPartition(Party.Learner, org, "")} and LearnerId eq {learnerId}");
        await foreach (var c in CheckIns.QueryAsync<TableEntity>(pending, cancellationToken: ct))
            await CheckIns.DeleteEntityAsync(c.PartitionKey, c.RowKey, ETag.All, ct);
        await preferences.ForgetAsync(new Notifications.Recipient(Notifications.RecipientKind.Learner, org, learnerId), ct);
    }

    private async IAsyncEnumerable<MentorRequestRow> RequestsOfAsync(string org, string learnerId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        await foreach (var row in Requests.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {org} and LearnerId eq {learnerId}"), cancellationToken: ct))
            yield return new MentorRequestRow(row);
    }

    private async Task ScrubRequestAsync(string org, string requestId, Action<MentorRequestRow> scrub, CancellationToken ct)
    {
        // An erasure that loses ten races in a row is left for the next erasure run (it is idempotent).
        await Contention.RetryAsync(async () =>
        {
            if (await lifecycle.RowAsync(org, requestId, ct) is not { } row) return;
            scrub(row);
            await Requests.UpdateEntityAsync(row.Entity, row.ETag, TableUpdateMode.Replace, ct);
        }, ct, maxAttempts: 10, whenExhausted: () => { });
    }
}

[Tags("Mentoring"), RequireRoles(Role.Mentor)]
public sealed class MentorPersonalDataFunctions(PersonalData data, AuditTrail audit)
{
    [Function("ExportMyMentorData")]
    [EndpointSummary("Everything stored about the calling mentor: profile and contact, offers and matches, declines with notes, check-ins with comments.")]
    [ProducesResponseType<object>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> ExportAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/mentors/me/data")] HttpRequest req, CancellationToken ct)
    {
        var id = MentorsApi.MyId(req.HttpContext);
        if (await data.ExportMentorAsync(id, ct) is not { } export) return Problems.NotFound("Your mentor profile");
        await audit.WriteAsync(req.HttpContext.Caller().OrganisationId, id, "mentor.exported", id, ct);
        return Results.Ok(export);
    }

    [Function("EraseMyMentorData")]
    [EndpointSummary("Erases the calling mentor: open offers are declined for them, active matches end, profile, contact and notes are removed; pseudonymous outcomes and counts stay.")]
    [ProducesResponseType(StatusCodes.Status204NoContent), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> EraseAsync([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/mentors/me")] HttpRequest req, CancellationToken ct)
    {
        var id = MentorsApi.MyId(req.HttpContext);
        if (!await data.EraseMentorAsync(id, ct)) return Problems.NotFound("Your mentor profile");
        await audit.WriteAsync(req.HttpContext.Caller().OrganisationId, id, "mentor.erased", id, ct);
        return Results.NoContent();
    }
}

/// <summary>Runs the scrub of an erased mentor's name and free text out of the requests that proposed them.</summary>
public sealed class ScrubErasedMentor(PersonalData data, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, ILogger<ScrubErasedMentor> logger)
{
    public const string Queue = "mentor-erasures";

    public sealed record Message(string MentorId);

    [Function("ScrubErasedMentor")]
    public async Task RunAsync([QueueTrigger(Queue)] string message, string id, long dequeueCount, CancellationToken ct)
    {
        var m = new QueueMessage(id, message, dequeueCount).ReadJson<Message>(json.Value.SerializerOptions);
        if (!Ids.IsValid(m.MentorId)) throw new InvalidQueueMessageException("The message names no mentor.");
        var scrubbed = await data.ScrubMentorAsync(m.MentorId, ct);
        logger.LogInformation("An erased mentor was scrubbed from {Requests} requests", scrubbed); // no id: it is the person's
    }
}

/// <summary>A token issued before its person was erased is refused everywhere: a mentor's tombstone says when;
/// an erased learner's row is gone (so is one that never existed). One point read per mentor or learner call.</summary>
public sealed class ErasedPeople(MentorDirectory mentors, LearnerDirectory learners) : ICallerCheck
{
    public async Task<string?> RefusalAsync(Caller caller, DateTimeOffset? issuedAt, CancellationToken ct) => caller.Role switch
    {
        Role.Mentor when await mentors.ErasedAtAsync(Ids.MentorId(caller.OrganisationId, caller.SubjectId), ct) is { } erasedAt
            && (issuedAt is not { } iat || iat <= erasedAt) => "This mentor profile was erased after the token was issued. Sign in again.",
        Role.Learner when await learners.FindAsync(caller.OrganisationId, caller.SubjectId, ct) is null => "The token names no learner of this organisation (erased, or never registered).",
        _ => null,
    };
}
