using System.Text.Json;
using Azure.Data.Tables;
using Matching.Engine;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Mentoring;

/// <summary>A mentoring programme: a window, the goals and modes it covers, and a quota of sessions (e.g. 500 coachings in three months).</summary>
public sealed record ProgrammeInput(string Name, DateTimeOffset OpensAt, DateTimeOffset ClosesAt, IReadOnlyList<Expertise> Goals, IReadOnlyList<SessionMode> Modes, int SessionQuota);

public sealed record ProgrammeView(string Id, string Name, string RunBy, DateTimeOffset OpensAt, DateTimeOffset ClosesAt, IReadOnlyList<Expertise> Goals,
    IReadOnlyList<SessionMode> Modes, int SessionQuota, int SessionsConfirmed, bool AcceptingRequests);

/// <summary>
/// The <c>programmes</c> table (one partition: programmes are few). A request may name a programme: it is refused
/// with a clear problem once the programme's window is over or its session quota is reached. Every confirmed
/// session of a match made for a programme counts against its quota (counted once, on the programme's row, by ETag).
/// </summary>
public sealed class ProgrammeDirectory(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time)
{
    public const string Table = "programmes";
    private const string Partition = "programme";
    private TableClient Client => tables.GetTableClient(Table);

    public async Task<ProgrammeView> AddAsync(ProgrammeInput input, string runBy, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var id = Ids.New();
        var entity = new TableEntity(Partition, id)
        {
            ["Name"] = input.Name.Trim(), ["RunBy"] = runBy, ["OpensAt"] = input.OpensAt, ["ClosesAt"] = input.ClosesAt,
            ["Goals"] = JsonSerializer.Serialize(input.Goals, TrainingData.Json), ["Modes"] = JsonSerializer.Serialize(input.Modes, TrainingData.Json),
            ["SessionQuota"] = input.SessionQuota, ["SessionsConfirmed"] = 0, ["CreatedAt"] = time.GetUtcNow(),
        };
        await Client.AddEntityAsync(entity, ct);
        return ToView(entity);
    }

    public async Task<ProgrammeView?> FindAsync(string id, CancellationToken ct)
    {
        if (!Ids.IsValid(id)) return null;
        await provisioner.EnsureReadyAsync(ct);
        var found = await Client.GetEntityIfExistsAsync<TableEntity>(Partition, id, cancellationToken: ct);
        return found.HasValue ? ToView(found.Value!) : null;
    }

    public async Task<IReadOnlyList<ProgrammeView>> ListAsync(CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var list = new List<ProgrammeView>();
        await foreach (var e in Client.QueryAsync<TableEntity>(p => p.PartitionKey == Partition, cancellationToken: ct)) list.Add(ToView(e));
        return list.OrderBy(p => p.ClosesAt).ToList();
    }

    /// <summary>Why a new request cannot name this programme now, or null when it can.</summary>
    public string? WhyClosed(ProgrammeView p, IReadOnlyList<Expertise> goals) =>
        WhyNotAccepting(p, time.GetUtcNow()) ?? (goals.Any(p.Goals.Contains) ? null : "None of the request's goals is one the programme covers.");

    /// <summary>The window and the quota: the one rule for whether a programme takes requests.</summary>
    private static string? WhyNotAccepting(ProgrammeView p, DateTimeOffset now) =>
        now < p.OpensAt ? $"The programme opens on {p.OpensAt:yyyy-MM-dd}."
        : now >= p.ClosesAt ? "The programme's window is over."
        : p.SessionsConfirmed >= p.SessionQuota ? $"The programme's quota of {p.SessionQuota} sessions is reached."
        : null;

    /// <summary>Counts a confirmed session against the programme (once per session: the caller counts each confirmation once).</summary>
    public async Task CountSessionAsync(string id, CancellationToken ct)
    {
        await Contention.RetryAsync(async () =>
        {
            var found = await Client.GetEntityIfExistsAsync<TableEntity>(Partition, id, cancellationToken: ct);
            if (!found.HasValue) return;
            var row = found.Value!;
            row["SessionsConfirmed"] = (row.GetInt32("SessionsConfirmed") ?? 0) + 1;
            await Client.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, ct);
        }, ct, maxAttempts: 20, whenExhausted: () => throw new InvalidOperationException("The programme's count kept changing."));
    }

    private ProgrammeView ToView(TableEntity e)
    {
        var view = new ProgrammeView(e.RowKey, e.GetString("Name"), e.GetString("RunBy"), e.GetDateTimeOffset("OpensAt") ?? default, e.GetDateTimeOffset("ClosesAt") ?? default,
            JsonSerializer.Deserialize<Expertise[]>(e.GetString("Goals"), TrainingData.Json) ?? [], JsonSerializer.Deserialize<SessionMode[]>(e.GetString("Modes"), TrainingData.Json) ?? [],
            e.GetInt32("SessionQuota") ?? 0, e.GetInt32("SessionsConfirmed") ?? 0, false);
        return view with { AcceptingRequests = WhyNotAccepting(view, time.GetUtcNow()) is null };
    }
}

[Tags("Mentoring")]
public sealed class ProgrammeFunctions(ProgrammeDirectory programmes)
{
    [Function("CreateProgramme"), RequireRoles(Role.Ngo, Role.Provider)]
    [EndpointSummary("Starts a mentoring programme: a window, its goals and modes, and a quota of sessions; requests can then name it.")]
    [AcceptsBody(typeof(ProgrammeInput)), ProducesResponseType<ProgrammeView>(StatusCodes.Status201Created), ProducesValidationProblem]
    public async Task<IResult> CreateAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/programmes")] HttpRequest req, CancellationToken ct)
    {
        var input = await req.ReadJsonAsync<ProgrammeInput>(ct);
        var v = new Validation()
            .Line(input.Name, "name", 3, 120)
            .Require(input.ClosesAt > input.OpensAt, "closesAt", "After opensAt.")
            .Require(input.ClosesAt - input.OpensAt <= TimeSpan.FromDays(3 * 366), "closesAt", "At most three years after opensAt.")
            .Require(input.Goals is { Count: >= 1 and <= 8 } && input.Goals.All(Enum.IsDefined), "goals", "1 to 8 goals, e.g. cvReview.")
            .Require(input.Modes is { Count: >= 1 and <= 3 } && input.Modes.All(Enum.IsDefined), "modes", "1 to 3 of video, phone, inPerson.")
            .Range(input.SessionQuota, 1, 100_000, "sessionQuota");
        if (!v.IsValid) return v.ToResult();
        var view = await programmes.AddAsync(input, req.HttpContext.Caller().OrganisationId, ct);
        return Results.Created($"/api/programmes/{view.Id}", view);
    }

    [Function("ListProgrammes"), RequireRoles(Role.Ngo, Role.Provider, Role.Admin, Role.Learner)]
    [EndpointSummary("The programmes, soonest to close first, with their quota, sessions confirmed so far, and whether they take requests.")]
    [ProducesResponseType<IReadOnlyList<ProgrammeView>>(StatusCodes.Status200OK)]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/programmes")] HttpRequest req, CancellationToken ct) =>
        Results.Ok(await programmes.ListAsync(ct));

    [Function("GetProgramme"), RequireRoles(Role.Ngo, Role.Provider, Role.Admin, Role.Learner)]
    [EndpointSummary("One programme with its quota and the sessions confirmed against it.")]
    [ProducesResponseType<ProgrammeView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/programmes/{programmeId}")] HttpRequest req,
        string programmeId, CancellationToken ct) =>
        await programmes.FindAsync(programmeId, ct) is { } p ? Results.Ok(p) : Problems.NotFound("The programme");
}
