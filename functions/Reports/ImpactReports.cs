using System.Globalization;
using System.Text;
using Matching.Mentoring;
using Matching.Mentoring.Sessions;
using Matching.Offers;
using Matching.Platform;
using Matching.Security;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Reports;

/// <summary>What an NGO's mentoring achieved: requests, matches, time to match, sessions, hours, no-shows, ratings, outcomes.</summary>
public sealed record ImpactReport(string Organisation, DateTimeOffset GeneratedAt, int Requests, int Matches, int ActiveMatches,
    double? TimeToMatchHoursP50, int SessionsHeld, double HoursHeld, double? NoShowRate, IReadOnlyDictionary<string, int> Ratings,
    IReadOnlyDictionary<string, int> Outcomes, IReadOnlyDictionary<string, int> DeclineReasons);

/// <summary>What a provider's solidarity offers gave: seats offered, claimed, confirmed, held, released, and NGOs served.</summary>
public sealed record OfferImpact(string OfferId, string Title, string Status, int SeatsOffered, int SeatsClaimed, int SeatsConfirmed, int SeatsHeld,
    int SeatsReleased, int NgosServed);

public sealed record ProviderReport(string Provider, DateTimeOffset GeneratedAt, int Offers, int SeatsOffered, int SeatsClaimed, int SeatsConfirmed,
    int SeatsHeld, int SeatsReleased, int NgosServed, IReadOnlyList<OfferImpact> ByOffer);

/// <summary>
/// Reports read one organisation's partitions (an NGO's requests and sessions; a provider's offers and their claims),
/// streamed, never the whole tables. JSON by default; CSV with <c>?format=csv</c> or <c>Accept: text/csv</c>, safe
/// to open in a spreadsheet (<see cref="Csv"/>).
/// </summary>
public sealed class ImpactReports(MentoringFacts mentoring, OfferFacts offers, TimeProvider time)
{
    public Task<ImpactReport> ForNgoAsync(string org, CancellationToken ct) => ReportAsync(org, mentoring.OfOrganisationAsync(org, ct));

    /// <summary>A programme's requests: all of them for its runner and platform operators, an NGO's own otherwise.</summary>
    public Task<ImpactReport> ForProgrammeAsync(string programmeId, string? onlyOrg, CancellationToken ct) =>
        ReportAsync($"programme {programmeId}", mentoring.OfProgrammeAsync(programmeId, onlyOrg, ct));

    private async Task<ImpactReport> ReportAsync(string label, IAsyncEnumerable<RequestFacts> facts)
    {
        int requests = 0, matches = 0, active = 0, held = 0, checkedIn = 0, noShows = 0;
        var hours = 0.0;
        var toMatch = new List<double>();
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var declines = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var ratings = Enumerable.Range(1, 5).ToDictionary(i => i.ToString(CultureInfo.InvariantCulture), _ => 0);
        await foreach (var r in facts)
        {
            requests++;
            foreach (var reason in r.DeclineReasons) declines[reason] = declines.GetValueOrDefault(reason) + 1;
            if (r.MatchedAt is not { } matched) continue;
            matches++;
            if (r.Status == RequestStatus.Matched) active++;
            if (r.CreatedAt is { } created) toMatch.Add((matched - created).TotalHours);
            if (r.Outcome is { } outcome) outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            foreach (var s in r.Sessions)
            {
                if (s.Answers.Count == 0) continue;
                checkedIn++;
                if (s.Answers.Contains(Attendance.NoShow)) noShows++;
                if (s.CountedHeld)
                {
                    held++;
                    hours += s.Length.TotalHours;
                }
                foreach (var rating in s.Ratings) ratings[rating.ToString(CultureInfo.InvariantCulture)]++;
            }
        }
        return new ImpactReport(label, time.GetUtcNow(), requests, matches, active, Median(toMatch), held, Math.Round(hours, 2),
            checkedIn == 0 ? null : Math.Round((double)noShows / checkedIn, 3), ratings, outcomes, declines);
    }

    public async Task<ProviderReport> ForProviderAsync(string provider, CancellationToken ct)
    {
        var byOffer = new List<OfferImpact>();
        var ngos = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var (offer, claims) in offers.OfProviderAsync(provider, ct))
        {
            int claimed = 0, released = 0;
            var served = new HashSet<string>(StringComparer.Ordinal);
            foreach (var claim in claims)
            {
                if (claim.Status == ClaimStatus.Rejected) continue;
                claimed += claim.SeatsRequested;
                released += claim.SeatsReleased;
                if (claim.Status == ClaimStatus.Confirmed) served.Add(claim.NgoOrg);
            }
            ngos.UnionWith(served);
            byOffer.Add(new OfferImpact(offer.Id, offer.Details.Title, RequestLifecycle.Code(offer.Status), offer.Details.TotalSeats, claimed, offer.Confirmed,
                offer.Held, released, served.Count));
        }
        return new ProviderReport(provider, time.GetUtcNow(), byOffer.Count, byOffer.Sum(o => o.SeatsOffered), byOffer.Sum(o => o.SeatsClaimed),
            byOffer.Sum(o => o.SeatsConfirmed), byOffer.Sum(o => o.SeatsHeld), byOffer.Sum(o => o.SeatsReleased), ngos.Count,
            byOffer.OrderBy(o => o.Title, StringComparer.Ordinal).ToList());
    }

    private static double? Median(List<double> values)
    {
        if (values.Count == 0) return null;
        values.Sort();
        var mid = values.Count / 2;
        return Math.Round(values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2, 2);
    }

    /// <summary>A spreadsheet is read by people: the CSV's headers and each metric's label are in the reader's language
    /// (codes stay codes in JSON), with the separators their spreadsheet software expects (<see cref="Csv"/>).</summary>
    public static string ToCsv(ImpactReport r)
    {
        var rows = new List<(string, string)>
        {
            (Texts.Localize("Organisation"), r.Organisation), (Texts.Localize("Generated at"), r.GeneratedAt.ToString("O", CultureInfo.InvariantCulture)),
            (Texts.Localize("Requests"), N(r.Requests)), (Texts.Localize("Matches"), N(r.Matches)), (Texts.Localize("Active matches"), N(r.ActiveMatches)),
            (Texts.Localize("Median time to match (hours)"), r.TimeToMatchHoursP50 is { } t ? N(t) : ""), (Texts.Localize("Sessions held"), N(r.SessionsHeld)),
            (Texts.Localize("Hours held"), N(r.HoursHeld)), (Texts.Localize("No-show rate"), r.NoShowRate is { } n ? N(n) : ""),
        };
        rows.AddRange(r.Ratings.Select(x => (Texts.Format("Ratings of {0} out of 5", x.Key), N(x.Value))));
        rows.AddRange(r.Outcomes.Select(x => (Texts.Format("Matches ended: {0}", x.Key), N(x.Value))));
        rows.AddRange(r.DeclineReasons.Select(x => (Texts.Format("Offers declined: {0}", x.Key), N(x.Value))));
        return Csv.Write([Texts.Localize("Metric"), Texts.Localize("Value")], rows.Select(x => new[] { x.Item1, x.Item2 }));
    }

    public static string ToCsv(ProviderReport r) =>
        Csv.Write(new[] { "Offer id", "Title", "Status", "Seats offered", "Seats claimed", "Seats confirmed", "Seats held", "Seats released", "NGOs served" }
                .Select(Texts.Localize).ToArray(),
            r.ByOffer.Select(o => new[] { o.OfferId, o.Title, o.Status, N(o.SeatsOffered), N(o.SeatsClaimed), N(o.SeatsConfirmed), N(o.SeatsHeld), N(o.SeatsReleased), N(o.NgosServed) })
                .Append([Texts.Localize("Total"), "", "", N(r.SeatsOffered), N(r.SeatsClaimed), N(r.SeatsConfirmed), N(r.SeatsHeld), N(r.SeatsReleased), N(r.NgosServed)]));

    /// <summary>A number as the reader's spreadsheet reads it (0,25 for a French reader).</summary>
    private static string N(double value) => value.ToString(Csv.Culture);
}

/// <summary>
/// CSV that is safe to open in a spreadsheet: every cell quoted, and a cell that a spreadsheet would read as a
/// formula (starting with =, +, -, @, tab or carriage return) is prefixed with an apostrophe (OWASP's advice).
/// </summary>
public static class Csv
{
    public const string ContentType = "text/csv";

    /// <summary>The reader's: French spreadsheet software splits on ';' and reads a decimal comma; others on ','.</summary>
    public static CultureInfo Culture => Texts.Language == "fr" ? CultureInfo.GetCultureInfo("fr-FR") : CultureInfo.InvariantCulture;

    private static char Separator => Texts.Language == "fr" ? ';' : ',';

    public static string Cell(string value)
    {
        var safe = value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? "'" + value : value;
        return "\"" + safe.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    public static string Write(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        // A byte order mark: without it, spreadsheet software reads UTF-8 as the machine's old code page (é as Ã©).
        var text = new StringBuilder("\uFEFF");
        text.AppendJoin(Separator, header.Select(Cell)).Append("\r\n");
        foreach (var row in rows) text.AppendJoin(Separator, row.Select(Cell)).Append("\r\n");
        return text.ToString();
    }

    /// <summary>CSV when asked for with <c>?format=csv</c> or an Accept header preferring text/csv; null when
    /// <c>?format=</c> names neither json nor csv (a 400 naming the parameter, not a silent JSON answer).</summary>
    public static bool? Wanted(HttpRequest req) => req.Query["format"].ToString() switch
    {
        "" when req.Query.ContainsKey("format") => null, // given, but empty: not a silent default either
        "" => req.Headers.Accept.ToString().Contains(ContentType, StringComparison.OrdinalIgnoreCase),
        var f when f.Equals("csv", StringComparison.OrdinalIgnoreCase) => true,
        var f when f.Equals("json", StringComparison.OrdinalIgnoreCase) => false,
        _ => null,
    };

    /// <summary>The report as JSON or CSV, as the caller asked.</summary>
    public static IResult Answer<T>(HttpRequest req, T report, Func<T, string> toCsv) => Wanted(req) switch
    {
        true => Results.Text(toCsv(report), ContentType + "; charset=utf-8"),
        false => Results.Ok(report),
        null => Problems.Validation(new Dictionary<string, string[]> { ["format"] = ["json or csv."] }),
    };
}

[Tags("Reports")]
public sealed class ReportFunctions(ImpactReports reports, ProgrammeDirectory programmes)
{
    [Function("GetImpactReport"), RequireRoles(Role.Ngo, Role.Provider, Role.Admin, Role.Operator)]
    [EndpointSummary("Mentoring impact of an NGO, or of a programme: requests, matches, time to match (p50), sessions held, hours, no-show rate, ratings, outcomes. JSON or CSV (?format=csv).")]
    [QueryParameter("organisation", "Platform operators only: the NGO to report on."), QueryParameter("format", "json (default) or csv.", Values = ["json", "csv"])]
    [QueryParameter("programme", "A programme's impact: all its requests for the organisation that runs it (and platform operators), the caller's own otherwise.")]
    [ProducesResponseType<ImpactReport>(StatusCodes.Status200OK, "application/json", Csv.ContentType), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> ImpactAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/reports/impact")] HttpRequest req, CancellationToken ct)
    {
        var caller = req.HttpContext.Caller();
        ImpactReport report;
        if (req.Query.ContainsKey("programme") && !Ids.IsValid(req.Query["programme"].ToString()))
            return Problems.Validation(new Dictionary<string, string[]> { ["programme"] = ["A programme's id (32 hex digits)."] });
        if (req.Query["programme"].ToString() is { Length: > 0 } programmeId)
        {
            if (await programmes.FindAsync(programmeId, ct) is not { } programme) return Problems.NotFound("The programme");
            var whole = caller.Role == Role.Operator || programme.RunBy == caller.OrganisationId;
            report = await reports.ForProgrammeAsync(programme.Id, whole ? null : caller.OrganisationId, ct);
        }
        else if (Organisation(req, "organisation") is { } org) report = await reports.ForNgoAsync(org, ct);
        else return Problems.Validation(new Dictionary<string, string[]> { ["organisation"] = ["Platform operators name the organisation to report on."] });
        return Csv.Answer(req, report, ImpactReports.ToCsv);
    }

    [Function("GetOfferReport"), RequireRoles(Role.Provider, Role.Admin, Role.Operator)]
    [EndpointSummary("A provider's solidarity offers: seats offered, claimed, confirmed, held, released, NGOs served, per offer and in total. JSON or CSV (?format=csv).")]
    [QueryParameter("organisation", "Platform operators only: the provider to report on."), QueryParameter("format", "json (default) or csv.", Values = ["json", "csv"])]
    [ProducesResponseType<ProviderReport>(StatusCodes.Status200OK, "application/json", Csv.ContentType), ProducesValidationProblem]
    public async Task<IResult> OffersAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/reports/offers")] HttpRequest req, CancellationToken ct)
    {
        if (Organisation(req, "organisation") is not { } org)
            return Problems.Validation(new Dictionary<string, string[]> { ["organisation"] = ["Platform operators name the organisation to report on."] });
        var report = await reports.ForProviderAsync(org, ct);
        return Csv.Answer(req, report, ImpactReports.ToCsv);
    }

    /// <summary>The caller's own organisation (an organisation's admin included); a platform operator names one.</summary>
    private static string? Organisation(HttpRequest req, string name)
    {
        var caller = req.HttpContext.Caller();
        return caller.Role == Role.Operator ? req.Query[name].ToString() is { Length: > 0 } o ? o : null : caller.OrganisationId;
    }
}

public static class ReportsModule
{
    public static IServiceCollection AddReports(this IServiceCollection services) => services.AddSingleton<ImpactReports>();
}
