using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Matching.Platform;

namespace Matching.Offers.Lheo;

/// <summary>One offer read from an LHEO document: a session of an action of a formation, with its places.</summary>
public sealed record LheoOffer(string ExternalId, string Path, OfferDetails Details, OfferStatus Status);

/// <summary>
/// Reads LHEO (France's exchange format for training offers): <c>lheo &gt; offres &gt; formation &gt; action &gt; session</c>.
/// Every session of an action with funded places (<c>organisme-financeur/nb-places-financees</c>) becomes an
/// offer; <c>etat-recrutement</c> 1, 2, 3 become open, closed, suspended. Elements are matched by local name,
/// so any LHEO 2.x namespace is accepted. DTDs are refused (no external entities).
/// </summary>
public static class LheoDocument
{
    public sealed record Result(IReadOnlyList<LheoOffer> Offers, IReadOnlyList<string> Problems, int SessionsWithoutPlaces);

    public static Result Read(Stream xml, DateTimeOffset now)
    {
        XDocument doc;
        try
        {
            using var reader = XmlReader.Create(xml, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true });
            doc = XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException ex)
        {
            return new Result([], [$"line {ex.LineNumber}, position {ex.LinePosition}: {ex.Message}"], 0);
        }

        var problems = new List<string>();
        var offers = new List<LheoOffer>();
        var withoutPlaces = 0;
        if (doc.Root?.Name.LocalName != "lheo") return new Result([], ["The root element must be <lheo>."], 0);
        var offres = Child(doc.Root, "offres");
        if (offres is null) return new Result([], ["<lheo> must contain <offres>."], 0);

        var f = 0;
        foreach (var formation in Children(offres, "formation"))
        {
            f++;
            var fPath = $"formation[{f}]";
            var fId = Id(formation);
            var title = Text(formation, "intitule-formation");
            if (fId is null) problems.Add(Texts.Format("{0}: the numero attribute is required, so that a new upload updates the same offers.", fPath));
            if (string.IsNullOrWhiteSpace(title)) problems.Add(Texts.Format("{0}/intitule-formation: required.", fPath));
            var description = Text(formation, "objectif-formation");
            var topics = Topics(formation, title ?? "");

            var a = 0;
            foreach (var action in Children(formation, "action"))
            {
                a++;
                var aPath = $"{fPath}/action[{a}]";
                var aId = Id(action);
                if (aId is null) problems.Add(Texts.Format("{0}: the numero attribute is required.", aPath));
                var places = 0;
                foreach (var funder in Children(action, "organisme-financeur"))
                {
                    var text = Text(funder, "nb-places-financees");
                    if (text is null) continue;
                    if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) places += n;
                    else problems.Add(Texts.Format("{0}/organisme-financeur/nb-places-financees: '{1}' is not a whole number.", aPath, Trim(text)));
                }
                var format = Text(action, "modalites-enseignement") switch
                {
                    "0" => OfferFormat.InPerson,
                    "1" => OfferFormat.Blended,
                    "2" => OfferFormat.ELearning,
                    null => OfferFormat.InPerson,
                    var other => Problem(problems, Texts.Format("{0}/modalites-enseignement: '{1}' is not 0, 1 or 2.", aPath, Trim(other)), OfferFormat.InPerson),
                };
                var language = Text(action, "langue-formation") ?? "fr";
                var venue = Venue(action, aPath, problems);
                var groups = Children(action, "code-public-vise").Select(e => e.Value.Trim()).Where(v => v.Length > 0).Take(10).Select(c => $"LHEO public {c}").ToList();

                var s = 0;
                foreach (var session in Children(action, "session"))
                {
                    s++;
                    var sPath = $"{aPath}/session[{s}]";
                    var sId = Id(session);
                    if (sId is null) { problems.Add(Texts.Format("{0}: the numero attribute is required.", sPath)); continue; }
                    if (places <= 0) { withoutPlaces++; continue; }
                    var period = Child(session, "periode");
                    var start = Date(Text(period, "debut"), $"{sPath}/periode/debut", problems);
                    var end = Date(Text(period, "fin"), $"{sPath}/periode/fin", problems);
                    var registration = Child(Child(session, "periode-inscription"), "periode");
                    var opens = Date(Text(registration, "debut"), $"{sPath}/periode-inscription/periode/debut", problems);
                    var closes = Date(Text(registration, "fin"), $"{sPath}/periode-inscription/periode/fin", problems);
                    var status = Text(session, "etat-recrutement") switch
                    {
                        null or "1" => OfferStatus.Open,
                        "2" => OfferStatus.Closed,
                        "3" => OfferStatus.Suspended,
                        var other => Problem(problems, Texts.Format("{0}/etat-recrutement: '{1}' is not 1, 2 or 3.", sPath, Trim(other)), OfferStatus.Open),
                    };
                    // No registration period: claims open now and close when the session starts (or in 30 days).
                    var claimOpens = opens is { } o ? new DateTimeOffset(o.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : now;
                    var claimCloses = closes is { } c ? new DateTimeOffset(c.ToDateTime(TimeOnly.MinValue).AddDays(1), TimeSpan.Zero)
                        : start is { } st && st.ToDateTime(TimeOnly.MinValue) > now.UtcDateTime ? new DateTimeOffset(st.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)
                        : now.AddDays(30);
                    var details = new OfferDetails(
                        Title: Clip(title ?? "", 200), Topics: topics, Languages: [language], Format: format, TotalSeats: places,
                        ClaimOpensAt: claimOpens, ClaimClosesAt: claimCloses, Description: description is null ? null : Clip(description, 5000),
                        Venue: venue, CourseStart: start, CourseEnd: end, TargetGroups: groups.Count > 0 ? groups : null);
                    var validation = OfferRules.Validate(details);
                    foreach (var (field, messages) in validation.Errors)
                        foreach (var message in messages) problems.Add($"{sPath} ({field}): {Texts.Localize(message)}");
                    if (fId is not null && aId is not null)
                        offers.Add(new LheoOffer($"lheo:{fId}/{aId}/{sId}", sPath, details, status));
                }
                if (s == 0) problems.Add(Texts.Format("{0}: at least one <session> is required.", aPath));
            }
            if (a == 0) problems.Add(Texts.Format("{0}: at least one <action> is required.", fPath));
        }
        if (f == 0) problems.Add(Texts.Localize("<offres> contains no <formation>."));
        foreach (var dup in offers.GroupBy(o => o.ExternalId).Where(g => g.Count() > 1))
            problems.Add(Texts.Format("{0}: the identifiers {1} appear {2} times.", dup.First().Path, dup.Key, dup.Count()));
        return new Result(offers, problems, withoutPlaces);
    }

    private static IReadOnlyList<OfferTopic> Topics(XElement formation, string title)
    {
        var domain = Child(formation, "domaine-formation");
        var label = Clip(string.IsNullOrWhiteSpace(title) ? "Formation" : title, 80);
        var topics = new List<OfferTopic>();
        foreach (var code in Children(domain, "code-FORMACODE").Select(e => e.Value.Trim()).Where(v => v.Length > 0))
            topics.Add(new OfferTopic(label, Formacode: code));
        foreach (var code in Children(domain, "code-ROME").Select(e => e.Value.Trim()).Where(v => v.Length > 0))
            topics.Add(new OfferTopic(label, Rome: code));
        if (topics.Count == 0) topics.Add(new OfferTopic(label));
        return topics.Take(20).ToList();
    }

    private static Venue? Venue(XElement action, string path, List<string> problems)
    {
        var address = Child(Child(Child(action, "lieu-de-formation"), "coordonnees"), "adresse");
        if (address is null) return null;
        var lines = Children(address, "ligne").Select(e => e.Value.Trim()).Where(v => v.Length > 0);
        var text = string.Join(", ", lines.Concat(new[] { Text(address, "codepostal"), Text(address, "ville") }.Where(v => v is not null))!);
        var insee = Text(address, "code-INSEE-commune");
        var geo = Child(address, "geolocalisation");
        var lat = Text(geo, "latitude");
        var lon = Text(geo, "longitude");
        if (insee is null || lat is null || lon is null) return null; // no usable place: distance search will not find it
        if (!double.TryParse(lat, NumberStyles.Float, CultureInfo.InvariantCulture, out var la) ||
            !double.TryParse(lon, NumberStyles.Float, CultureInfo.InvariantCulture, out var lo))
        {
            problems.Add(Texts.Format("{0}/lieu-de-formation: latitude and longitude must be decimal numbers.", path));
            return null;
        }
        return new Venue(Clip(text.Length > 0 ? text : insee, 300), insee, la, lo);
    }

    /// <summary>AAAAMMJJ; 00000000 and 99999999 mean unknown; AAAAMM00 a month; AAAA0000 a year.</summary>
    private static DateOnly? Date(string? text, string path, List<string> problems)
    {
        if (text is null || text is "00000000" or "99999999") return null;
        if (text.Length != 8 || !text.All(char.IsAsciiDigit)) { problems.Add(Texts.Format("{0}: '{1}' is not a date AAAAMMJJ.", path, Trim(text))); return null; }
        var year = int.Parse(text[..4], CultureInfo.InvariantCulture);
        var month = Math.Max(1, int.Parse(text[4..6], CultureInfo.InvariantCulture));
        var day = Math.Max(1, int.Parse(text[6..], CultureInfo.InvariantCulture));
        try
        {
            var date = new DateOnly(year, month, day);
            if (Instants.InRange(date)) return date;
            problems.Add(Texts.Format("{0}: '{1}' is outside the years 2000 to 2099.", path, text));
            return null;
        }
        catch (ArgumentOutOfRangeException) { problems.Add(Texts.Format("{0}: '{1}' is not a valid date.", path, text)); return null; }
    }

    private static T Problem<T>(List<string> problems, string problem, T fallback) { problems.Add(problem); return fallback; }
    private static string Trim(string s) => s.Length > 40 ? s[..40] + "…" : s;
    private static string Clip(string s, int max) { s = s.Trim(); return s.Length > max ? s[..max] : s; }
    private static string? Id(XElement e) => (e.Attribute("numero")?.Value ?? e.Attribute("id")?.Value)?.Trim() is { Length: > 0 and <= 100 } id ? id : null;
    private static XElement? Child(XElement? e, string name) => e?.Elements().FirstOrDefault(c => c.Name.LocalName == name);
    private static IEnumerable<XElement> Children(XElement? e, string name) => e?.Elements().Where(c => c.Name.LocalName == name) ?? [];
    private static string? Text(XElement? e, string name) => Child(e, name)?.Value.Trim() is { Length: > 0 } v ? v : null;
}
