using System.Text.Json;
using Azure.Data.Tables;
using Matching.Engine;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Mentoring.Sessions;

/// <summary>A coworking or third place where a mentor and a learner can meet in person.</summary>
/// <param name="Address">Street address as people write it (number, street, postcode, town): what the invitation's location says.</param>
public sealed record VenueInput(string Name, string InseeCode, double Latitude, double Longitude, Availability OpeningHours, bool StepFreeAccess, string? Address = null);

public sealed record VenueView(string Id, string Name, string InseeCode, double Latitude, double Longitude, Availability OpeningHours, bool StepFreeAccess,
    string? Address = null)
{
    /// <summary>The name and the address on one line, as a calendar shows a location.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public string Location => Address is { Length: > 0 } address ? $"{Name}, {address}" : Name;
}

/// <summary>A venue suggested for a session, with how far it is for each side.</summary>
public sealed record VenueSuggestion(VenueView Venue, double LearnerDistanceKm, double MentorDistanceKm);

/// <summary>The <c>venues</c> table: one partition (venues are a few hundred places, read whole and cached briefly).</summary>
public sealed class VenueDirectory(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time)
{
    public const string Table = "venues";
    private const string Partition = "venue";
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);
    private (DateTimeOffset At, IReadOnlyList<VenueView> Venues)? _cache;

    public async Task<VenueView> AddAsync(VenueInput input, string registeredBy, CancellationToken ct, string? id = null)
    {
        await provisioner.EnsureReadyAsync(ct);
        var view = new VenueView(id ?? Ids.New(), input.Name.Trim(), input.InseeCode, input.Latitude, input.Longitude, input.OpeningHours, input.StepFreeAccess,
            input.Address?.Trim());
        await tables.GetTableClient(Table).UpsertEntityAsync(new TableEntity(Partition, view.Id)
        {
            ["Venue"] = JsonSerializer.Serialize(view, TrainingData.Json), ["RegisteredBy"] = registeredBy, ["CreatedAt"] = time.GetUtcNow(),
        }, TableUpdateMode.Replace, ct);
        _cache = null;
        return view;
    }

    public async Task<IReadOnlyList<VenueView>> AllAsync(CancellationToken ct)
    {
        if (_cache is { } c && time.GetUtcNow() - c.At < CacheFor) return c.Venues;
        await provisioner.EnsureReadyAsync(ct);
        var list = new List<VenueView>();
        await foreach (var e in tables.GetTableClient(Table).QueryAsync<TableEntity>(v => v.PartitionKey == Partition, cancellationToken: ct))
            list.Add(JsonSerializer.Deserialize<VenueView>(e.GetString("Venue"), TrainingData.Json)!);
        _cache = (time.GetUtcNow(), list);
        return list;
    }

    public async Task<VenueView?> FindAsync(string id, CancellationToken ct) =>
        Ids.IsValid(id) ? (await AllAsync(ct)).FirstOrDefault(v => v.Id == id) ?? await ReadAsync(id, ct) : null;

    private async Task<VenueView?> ReadAsync(string id, CancellationToken ct)
    {
        var found = await tables.GetTableClient(Table).GetEntityIfExistsAsync<TableEntity>(Partition, id, cancellationToken: ct);
        return found.HasValue ? JsonSerializer.Deserialize<VenueView>(found.Value!.GetString("Venue"), TrainingData.Json) : null;
    }

    /// <summary>Open for the whole span, and within both people's travel radius; nearest (in total) first.</summary>
    public static IEnumerable<VenueSuggestion> Suitable(IEnumerable<VenueView> venues, Place learner, double learnerRadiusKm, Place mentor, double mentorRadiusKm,
        DateTimeOffset start, DateTimeOffset end) =>
        venues.Select(v => new VenueSuggestion(v,
                Math.Round(Geo.DistanceKm(learner.Latitude, learner.Longitude, v.Latitude, v.Longitude), 1),
                Math.Round(Geo.DistanceKm(mentor.Latitude, mentor.Longitude, v.Latitude, v.Longitude), 1)))
            .Where(s => s.LearnerDistanceKm <= learnerRadiusKm && s.MentorDistanceKm <= mentorRadiusKm && WeeklyTime.Covers(s.Venue.OpeningHours, start, end))
            .OrderBy(s => s.LearnerDistanceKm + s.MentorDistanceKm);
}

[Tags("Mentoring"), RequireRoles(Role.Admin, Role.Ngo)]
public sealed class VenueFunctions(VenueDirectory venues)
{
    [Function("RegisterVenue")]
    [EndpointSummary("Registers a coworking or third place for in-person sessions: name, street address, INSEE commune code, coordinates, opening hours, step-free access.")]
    [AcceptsBody(typeof(VenueInput)), ProducesResponseType<VenueView>(StatusCodes.Status201Created), ProducesValidationProblem]
    public async Task<IResult> RegisterAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/venues")] HttpRequest req, CancellationToken ct)
    {
        var input = await req.ReadJsonAsync<VenueInput>(ct);
        var v = new Validation()
            .Line(input.Name, "name", 1, 120)
            .Line(input.Address, "address", 0, 200)
            .Require(Codes.IsInsee(input.InseeCode ?? ""), "inseeCode", "An INSEE commune code, e.g. 75056.")
            .Require(input.Latitude is >= -90 and <= 90, "latitude", "Between -90 and 90.")
            .Require(input.Longitude is >= -180 and <= 180, "longitude", "Between -180 and 180.");
        ProfileRules.AvailabilityRules(v, input.OpeningHours, "openingHours");
        if (!v.IsValid) return v.ToResult();
        var view = await venues.AddAsync(input, req.HttpContext.Caller().OrganisationId, ct);
        return Results.Created($"/api/venues/{view.Id}", view);
    }

    [Function("ListVenues")]
    [EndpointSummary("The registered venues.")]
    [ProducesResponseType<IReadOnlyList<VenueView>>(StatusCodes.Status200OK)]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/venues")] HttpRequest req, CancellationToken ct) =>
        Results.Ok((await venues.AllAsync(ct)).OrderBy(v => v.Name, StringComparer.Ordinal).ToList());
}
