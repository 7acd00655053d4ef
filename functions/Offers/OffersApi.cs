using Matching.Engine;
using Azure.Data.Tables;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Offers;

/// <summary>Providers publish and manage solidarity offers; NGOs (and providers) browse the open ones.</summary>
[Tags("Offers")]
public sealed class OffersApi(OfferService service, TimeProvider time)
{
    public sealed record OfferView(
        string Id, string ProviderOrg, string Title, string? Description, IReadOnlyList<OfferTopic> Topics,
        IReadOnlyList<string> Languages, OfferFormat Format, int TotalSeats, int SeatsRemaining, Venue? Venue,
        DateTimeOffset ClaimOpensAt, DateTimeOffset ClaimClosesAt, DateOnly? CourseStart, DateOnly? CourseEnd,
        IReadOnlyList<string>? TargetGroups, string? Eligibility, int? PerNgoCap, int HoldMinutes,
        bool RequiresNamedBeneficiaries, OfferStatus Status, int? LheoRecruitmentStatus, int WaitlistedClaims,
        string? ExternalId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, double? DistanceKm = null)
    {
        /// <summary>The topics' labels in the reader's language where they are known words or codes, else as the provider wrote them.</summary>
        public IReadOnlyList<string> TopicLabels => Topics.Select(CatalogueLabels.Topic).ToList();

        /// <summary>The target groups in the reader's language where known, else as written.</summary>
        public IReadOnlyList<string>? TargetGroupLabels => TargetGroups?.Select(CatalogueLabels.TargetGroup).ToList();
    }

    public sealed record OfferPageView(IReadOnlyList<OfferView> Items, string? ContinuationToken);

    public static OfferView ToView(OfferState o, double? distanceKm = null) => new(
        o.Id, o.ProviderOrg, o.Details.Title, o.Details.Description, o.Details.Topics, o.Details.Languages, o.Details.Format,
        o.Details.TotalSeats, o.Remaining, o.Details.Venue, o.Details.ClaimOpensAt, o.Details.ClaimClosesAt, o.Details.CourseStart,
        o.Details.CourseEnd, o.Details.TargetGroups, o.Details.Eligibility, o.Details.PerNgoCap, o.Details.HoldMinutes,
        o.Details.RequiresNamedBeneficiaries, o.Status, OfferRules.LheoRecruitmentStatus(o.Status), o.WaitlistedClaims,
        o.ExternalId, o.CreatedAt, o.UpdatedAt, distanceKm is { } d ? Math.Round(d, 1) : null);

    [Function("CreateOffer"), RequireRoles(Role.Provider)]
    [EndpointSummary("Creates a draft offer of free training seats for the calling provider.")]
    [AcceptsBody(typeof(OfferDetails)), ProducesResponseType<OfferView>(StatusCodes.Status201Created), ProducesValidationProblem]
    public async Task<IResult> CreateAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/offers")] HttpRequest req, CancellationToken ct)
    {
        var details = await req.ReadJsonAsync<OfferDetails>(ct);
        var v = OfferRules.Validate(details, now: time.GetUtcNow());
        if (!v.IsValid) return v.ToResult();
        var offer = await service.CreateAsync(req.HttpContext.Caller().OrganisationId, details, externalId: null, ct);
        return Results.Created($"/api/offers/{offer.Id}", ToView(offer));
    }

    [Function("GetOffer"), RequireRoles(Role.Ngo, Role.Provider, Role.Admin)]
    [EndpointSummary("Shows an offer with its exact seats remaining (drafts only to their provider).")]
    [ProducesResponseType<OfferView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/offers/{offerId}")] HttpRequest req,
        string offerId, CancellationToken ct)
    {
        var offer = await service.FindVisibleAsync(req.HttpContext.Caller(), offerId, ct);
        return offer is null ? Problems.NotFound("The offer") : Results.Ok(ToView(offer));
    }

    [Function("UpdateOffer"), RequireRoles(Role.Provider)]
    [EndpointSummary("Replaces an offer's details; seats cannot go below those confirmed or held. Added seats serve the waitlist.")]
    [AcceptsBody(typeof(OfferDetails)), ProducesResponseType<OfferView>(StatusCodes.Status200OK), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> UpdateAsync([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/offers/{offerId}")] HttpRequest req,
        string offerId, CancellationToken ct)
    {
        var details = await req.ReadJsonAsync<OfferDetails>(ct);
        var v = OfferRules.Validate(details, now: time.GetUtcNow());
        if (!v.IsValid) return v.ToResult();
        var result = await service.ChangeAsync(req.HttpContext.Caller(), offerId, o =>
        {
            if (o.Status == OfferStatus.Closed) return "A closed offer cannot be changed.";
            o.Details = details;
            return null;
        }, ct);
        return ToResult(result);
    }

    [Function("OpenOffer"), RequireRoles(Role.Provider)]
    [EndpointSummary("Opens a draft or suspended offer to claims (LHEO recruitment status 1).")]
    [ProducesResponseType<OfferView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public Task<IResult> OpenAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/offers/{offerId}/open")] HttpRequest req,
        string offerId, CancellationToken ct) => ChangeStatusAsync(offerId, OfferStatus.Open, req.HttpContext, ct);

    [Function("SuspendOffer"), RequireRoles(Role.Provider)]
    [EndpointSummary("Suspends claims on an open offer (LHEO recruitment status 3).")]
    [ProducesResponseType<OfferView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public Task<IResult> SuspendAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/offers/{offerId}/suspend")] HttpRequest req,
        string offerId, CancellationToken ct) => ChangeStatusAsync(offerId, OfferStatus.Suspended, req.HttpContext, ct);

    [Function("CloseOffer"), RequireRoles(Role.Provider)]
    [EndpointSummary("Closes an offer for good (LHEO recruitment status 2); confirmed claims stay.")]
    [ProducesResponseType<OfferView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public Task<IResult> CloseAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/offers/{offerId}/close")] HttpRequest req,
        string offerId, CancellationToken ct) => ChangeStatusAsync(offerId, OfferStatus.Closed, req.HttpContext, ct);

    private async Task<IResult> ChangeStatusAsync(string offerId, OfferStatus target, HttpContext http, CancellationToken ct)
    {
        var result = await service.ChangeAsync(http.Caller(), offerId, o =>
        {
            var allowed = (o.Status, target) switch
            {
                (OfferStatus.Draft or OfferStatus.Suspended, OfferStatus.Open) => true,
                (OfferStatus.Open, OfferStatus.Suspended) => true,
                (not OfferStatus.Closed, OfferStatus.Closed) => true,
                _ => o.Status == target,
            };
            // Worded when answered, in the caller's language: a ledger batch runs several callers' changes.
            if (!allowed) return new OfferRefusal("An offer that is {0} cannot become {1}.", o.Status.ToString().ToLowerInvariant(), target.ToString().ToLowerInvariant());
            // Opening an offer nobody can claim any more would only reject every claim: say so instead.
            if (target == OfferStatus.Open && o.Status != OfferStatus.Open && o.Details.ClaimClosesAt <= DateTimeOffset.UtcNow)
                return "The offer's claim window is over: move claimClosesAt to the future first.";
            o.Status = target;
            return null;
        }, ct);
        return ToResult(result);
    }

    [Function("BrowseOffers"), RequireRoles(Role.Ngo, Role.Provider, Role.Admin)]
    [EndpointSummary("Browses open offers (or, with mine=true, the calling provider's own), filtered, sorted and paged.")]
    [EndpointDescription("Filters: topic (label or ROME/FORMACODE/ESCO code), language (ISO 639-1), format, near=lat,lon with radiusKm, minSeats, claimableAt. " +
        "sort: closingSoon (default), newest, seatsRemaining, distance. pageSize 1-100 (20). Seat counts are read exactly for the page.")]
    [QueryParameter("topic", "A topic label or a ROME, FORMACODE or ESCO code.", MaxLength = 80), QueryParameter("language", "ISO 639-1, e.g. fr.", Pattern = "^[a-z]{2}$")]
    [QueryParameter("format", "virtualClass, eLearning, oneToOne, inPerson or blended.", Enum = typeof(OfferFormat)), QueryParameter("near", "lat,lon, e.g. 46.17,1.87.", Pattern = "^-?[0-9]+(\\.[0-9]+)?,-?[0-9]+(\\.[0-9]+)?$")]
    [QueryParameter("radiusKm", "Up to 1000, with near.", Type = "number", Minimum = 0, Maximum = 1000), QueryParameter("minSeats", "At least this many seats remaining.", Type = "integer", Minimum = 1, Maximum = OfferRules.MaxSeats)]
    [QueryParameter("claimableAt", "Claimable at this date-time.", Type = "date-time"), QueryParameter("sort", "closingSoon (default), newest, seatsRemaining, distance.", Values = ["closingSoon", "newest", "seatsRemaining", "distance"])]
    [QueryParameter("pageSize", "1 to 100 (20).", Type = "integer", Minimum = 1, Maximum = 100), QueryParameter("continuationToken", "From the previous page.", MaxLength = 2048), QueryParameter("mine", "true: the calling provider's own offers.", Type = "boolean")]
    [ProducesResponseType<OfferPageView>(StatusCodes.Status200OK), ProducesValidationProblem]
    public async Task<IResult> BrowseAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/offers")] HttpRequest req, CancellationToken ct)
    {
        var caller = req.HttpContext.Caller();
        var v = new Validation();
        string? topic = v.Text(req, "topic"), language = v.Text(req, "language"), format = v.Text(req, "format"), near = v.Text(req, "near"),
            sort = v.Text(req, "sort"), continuationToken = v.Text(req, "continuationToken");
        var radiusKm = v.Number(req, "radiusKm");
        var minSeats = v.Int(req, "minSeats");
        var claimableAt = v.Time(req, "claimableAt");
        var pageSize = v.Int(req, "pageSize");
        var mine = v.Bool(req, "mine") ?? false;
        OfferFormat? parsedFormat = null;
        if (format is not null)
            if (Enum.TryParse<OfferFormat>(format, true, out var f) && !int.TryParse(format, out _)) parsedFormat = f;
            else v.Add("format", "One of virtualClass, eLearning, oneToOne, inPerson, blended.");
        if (language is not null) v.Require(IsoLanguages.IsValid(language), "language", "An ISO 639-1 code, e.g. fr.");
        if (topic is not null) v.Require(topic.Length is >= 1 and <= 80, "topic", "1 to 80 characters.");
        double? lat = null, lon = null;
        if (near is not null)
        {
            var parts = near.Split(',');
            if (parts.Length == 2 && double.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var la)
                && double.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var lo) && la is >= -90 and <= 90 && lo is >= -180 and <= 180)
                (lat, lon) = (la, lo);
            else v.Add("near", "Latitude and longitude as 'lat,lon', e.g. 48.85,2.35.");
        }
        if (radiusKm is { } r) v.Require(r is > 0 and <= 1000 && near is not null, "radiusKm", "Between 0 and 1000, with near.");
        if (minSeats is { } m) v.Range(m, 1, OfferRules.MaxSeats, "minSeats");
        var size = pageSize ?? 20;
        v.Range(size, 1, 100, "pageSize");
        OfferSort order = OfferSort.ClosingSoon;
        if (sort is not null && !Enum.TryParse(sort, true, out order) || int.TryParse(sort, out _))
            v.Add("sort", "One of closingSoon, newest, seatsRemaining, distance.");
        if (order == OfferSort.Distance && near is null) v.Add("sort", "Sorting by distance needs near.");
        if (mine && caller.Role != Role.Provider) v.Add("mine", "Only a provider has offers of its own.");
        if (!v.IsValid) return v.ToResult();

        var query = new OfferQuery(topic, language, parsedFormat, lat, lon, radiusKm, minSeats, claimableAt, order, size,
            mine ? caller.OrganisationId : null, OpenOnly: !mine);
        try
        {
            var page = await service.BrowseAsync(query, continuationToken, ct);
            return Results.Ok(new OfferPageView(page.Items.Select(i => ToView(i.Offer, i.DistanceKm)).ToList(), page.Continuation));
        }
        catch (InvalidContinuationException ex)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["continuationToken"] = [ex.Message] });
        }
    }

    internal static IResult ToResult(Offers.LedgerResult<OfferState> result) => result.Error switch
    {
        null => Results.Ok(ToView(result.Value!)),
        { Kind: LedgerErrorKind.NotFound } => Problems.NotFound("The offer"),
        { } e => Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "The offer cannot change that way", e.Text),
    };
}

/// <summary>Offer use cases over storage, the ledger and the catalog; both the API and the LHEO import use it.</summary>
public sealed class OfferService(TableServiceClient tables, StorageProvisioner provisioner, OfferLedgers ledgers, OfferCatalog catalog, TimeProvider time)
{
    private TableClient Table => tables.GetTableClient(OfferRows.Table);

    public async Task<OfferState> CreateAsync(string providerOrg, OfferDetails details, string? externalId, CancellationToken ct, string? id = null)
    {
        await provisioner.EnsureReadyAsync(ct);
        var now = time.GetUtcNow();
        var offer = new OfferState
        {
            Id = id ?? Ids.New(), ProviderOrg = providerOrg, Details = details, Status = OfferStatus.Draft,
            ExternalId = externalId, CreatedAt = now, UpdatedAt = now,
        };
        await Table.AddEntityAsync(OfferRows.ToEntity(offer), ct);
        catalog.Upsert(offer);
        return offer;
    }

    /// <summary>The offer if the caller may see it: its provider always, others once it is no longer a draft.</summary>
    public async Task<OfferState?> FindVisibleAsync(Caller caller, string offerId, CancellationToken ct)
    {
        var offer = await ReadAsync(offerId, ct);
        if (offer is null) return null;
        return offer.ProviderOrg == caller.OrganisationId || offer.Status != OfferStatus.Draft ? offer : null;
    }

    public async Task<OfferState?> ReadAsync(string offerId, CancellationToken ct)
    {
        if (!Ids.IsValid(offerId)) return null;
        await provisioner.EnsureReadyAsync(ct);
        var found = await Table.GetEntityIfExistsAsync<TableEntity>(offerId, OfferRows.HeadKey, cancellationToken: ct);
        return found.HasValue ? OfferRows.ToOffer(found.Value!) : null;
    }

    /// <summary>One claim of an offer, as stored; null when either id is not one.</summary>
    public async Task<SeatClaim?> ReadClaimAsync(string offerId, string claimId, CancellationToken ct)
    {
        if (!Ids.IsValid(offerId) || !Ids.IsValid(claimId)) return null;
        await provisioner.EnsureReadyAsync(ct);
        var found = await Table.GetEntityIfExistsAsync<TableEntity>(offerId, OfferRows.ClaimKey(claimId), cancellationToken: ct);
        return found.HasValue ? OfferRows.ToClaim(found.Value!) : null;
    }

    public Task<LedgerResult<OfferState>> ChangeAsync(Caller caller, string offerId, Func<OfferState, OfferRefusal?> change, CancellationToken ct) =>
        Ids.IsValid(offerId)
            ? ledgers.For(offerId).ChangeOfferAsync(caller.OrganisationId, change)
            : Task.FromResult(LedgerResult<OfferState>.Fail(LedgerErrorKind.NotFound, "The offer was not found."));

    public async Task<OfferPage> BrowseAsync(OfferQuery query, string? continuation, CancellationToken ct)
    {
        await catalog.EnsureLoadedAsync(ct);
        var page = catalog.Search(query, continuation);
        // Seats remaining are shown exactly: read this page's offer rows now, in parallel.
        var fresh = await Task.WhenAll(page.Items.Select(i => ReadAsync(i.Offer.Id, ct)));
        var items = page.Items.Select((item, i) => (fresh[i] ?? item.Offer, item.DistanceKm)).ToList();
        foreach (var (offer, _) in items) catalog.Upsert(offer);
        return page with { Items = items };
    }
}
