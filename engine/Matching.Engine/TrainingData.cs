using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Matching.Engine;

/// <summary>
/// One labelled example, raw: who was proposed to whom for which goals, and how it turned out. Exports from the
/// running service add when it was proposed (<paramref name="ProposedAt"/>: the profile versions of that moment are
/// used), its rank among the proposals, whether it was offered to the mentor, why the mentor declined, and the chance it
/// had to be shown (<see cref="Exploration"/>).
/// </summary>
public sealed record Outcome(string RequestId, string LearnerId, string MentorId, IReadOnlyList<Expertise> Goals, string? GoalText,
    bool Accepted, bool SessionHeld, int? Rating, DateTimeOffset? ProposedAt = null, int? Rank = null, bool? Offered = null, string? DeclineReason = null,
    double? Propensity = null)
{
    /// <summary>The label the model learns: the pair worked (accepted and a session held, and not rated poorly). Derived, never written.</summary>
    [JsonIgnore] public bool Worked => Accepted && SessionHeld && (Rating is null || Rating >= 3);
}

/// <summary>
/// The training file: JSON Lines, each line an object with <c>kind</c> "mentor", "learner" or "outcome"
/// (format in docs/training-data.md). Profiles come before the outcomes that name them. Bad lines are
/// reported with their number and skipped, never guessed.
/// </summary>
public sealed class TrainingData
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        // Codes as names only: a level or goal given as a number is a problem, not a silent A1.
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(), // read by Unreadable before any line is deserialised
    };

    /// <summary>Each mentor's latest version.</summary>
    public Dictionary<string, MentorProfile> Mentors { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, LearnerProfile> Learners { get; } = new(StringComparer.Ordinal);
    /// <summary>Dated versions (a profile line's optional <c>asOf</c>), so that an outcome sees the profile, load and
    /// record of the moment it was proposed. A line without <c>asOf</c> is valid from the beginning.</summary>
    private readonly Dictionary<string, List<(DateTimeOffset AsOf, MentorProfile Profile)>> _mentorVersions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(DateTimeOffset AsOf, LearnerProfile Profile)>> _learnerVersions = new(StringComparer.Ordinal);
    public List<Outcome> Outcomes { get; } = [];
    public List<string> Problems { get; } = [];
    /// <summary>The lines read that were not blank; <see cref="Problems"/> holds at most one per line.</summary>
    public int Lines { get; private set; }

    /// <summary>Above this share of lines with a problem, a file is refused whole (<see cref="RefuseIfMostlyProblems"/>): the
    /// problems are then not a few bad lines but a file of another format (a field misnamed on every mentor, say), and
    /// what was left would train a model on a world that is not the one written.</summary>
    public const double MaximumProblemShare = 0.05;
    private readonly Dictionary<string, string> _requestLearner = new(StringComparer.Ordinal);
    private readonly HashSet<(string Request, string Mentor)> _shown = [];
    private readonly HashSet<string> _closedRequests = new(StringComparer.Ordinal);
    private string? _lastRequest;

    public static TrainingData Read(TextReader reader)
    {
        var data = new TrainingData();
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            data.Lines++;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var kind = doc.RootElement.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
                if (kind is not null && LineTypes.TryGetValue(kind, out var type) && Unreadable(doc.RootElement, Json.GetTypeInfo(type), "") is { } unreadable)
                {
                    data.Problems.Add($"line {number}: {kind} {unreadable}");
                    continue;
                }
                switch (kind)
                {
                    case "mentor":
                        var mentor = doc.RootElement.Deserialize<MentorProfile>(Json);
                        if (Invalid(mentor?.Id, mentor?.Languages, mentor?.Availability) is { } why) { data.Problems.Add($"line {number}: mentor {why}"); break; }
                        var m = mentor! with { Expertise = mentor.Expertise ?? [], Modes = mentor.Modes ?? [] };
                        if (!AddVersion(data._mentorVersions, m.Id, AsOf(doc.RootElement), m)) { data.Problems.Add($"line {number}: mentor '{m.Id}' appears again with other values (two files joined?); the first is kept"); break; }
                        data.Mentors[m.Id] = data._mentorVersions[m.Id][^1].Profile;
                        break;
                    case "learner":
                        var learner = doc.RootElement.Deserialize<LearnerProfile>(Json);
                        if (Invalid(learner?.Id, learner?.Languages, learner?.Availability) is { } whyL) { data.Problems.Add($"line {number}: learner {whyL}"); break; }
                        var l = learner! with { Modes = learner.Modes ?? [] };
                        if (!AddVersion(data._learnerVersions, l.Id, AsOf(doc.RootElement), l)) { data.Problems.Add($"line {number}: learner '{l.Id}' appears again with other values (two files joined?); the first is kept"); break; }
                        data.Learners[l.Id] = data._learnerVersions[l.Id][^1].Profile;
                        break;
                    case "outcome":
                        var outcome = doc.RootElement.Deserialize<Outcome>(Json);
                        if (outcome is null || string.IsNullOrEmpty(outcome.RequestId)) { data.Problems.Add($"line {number}: outcome without requestId"); break; }
                        if (!data.Learners.ContainsKey(outcome.LearnerId ?? "")) { data.Problems.Add($"line {number}: outcome names unknown learner '{outcome.LearnerId}'"); break; }
                        if (!data.Mentors.ContainsKey(outcome.MentorId ?? "")) { data.Problems.Add($"line {number}: outcome names unknown mentor '{outcome.MentorId}'"); break; }
                        if (outcome.Goals is null || outcome.Goals.Count == 0) { data.Problems.Add($"line {number}: outcome without goals"); break; }
                        if (outcome.Rating is < 1 or > 5) { data.Problems.Add($"line {number}: rating must be 1 to 5"); break; }
                        if (outcome.Propensity is <= 0 or > 1 || outcome.Propensity is { } pr && double.IsNaN(pr)) { data.Problems.Add($"line {number}: propensity must be above 0 and at most 1"); break; }
                        // A request's outcomes come together (the export and generate write them so): one seen again after
                        // other requests' outcomes is another request with the same id, as when two files are joined.
                        if (outcome.RequestId != data._lastRequest && data._lastRequest is not null) data._closedRequests.Add(data._lastRequest);
                        data._lastRequest = outcome.RequestId;
                        if (data._closedRequests.Contains(outcome.RequestId))
                        { data.Problems.Add($"line {number}: request '{outcome.RequestId}' appears again after other requests' outcomes (two files joined?); left out"); break; }
                        if (data._requestLearner.TryGetValue(outcome.RequestId, out var owner) && owner != outcome.LearnerId)
                        { data.Problems.Add($"line {number}: request '{outcome.RequestId}' already belongs to learner '{owner}' (two files joined?)"); break; }
                        if (!data._shown.Add((outcome.RequestId, outcome.MentorId!)))
                        { data.Problems.Add($"line {number}: request '{outcome.RequestId}' shows mentor '{outcome.MentorId}' twice; the first is kept"); break; }
                        data._requestLearner[outcome.RequestId] = outcome.LearnerId!;
                        data.Outcomes.Add(outcome);
                        break;
                    default:
                        data.Problems.Add($"line {number}: unknown kind '{kind}' (mentor, learner or outcome)");
                        break;
                }
            }
            catch (JsonException ex)
            {
                data.Problems.Add($"line {number}: not valid JSON or wrong field type ({ex.Path ?? "$"})");
            }
        }
        return data;
    }

    private static readonly Dictionary<string, Type> LineTypes = new(StringComparer.Ordinal)
    {
        ["mentor"] = typeof(MentorProfile), ["learner"] = typeof(LearnerProfile), ["outcome"] = typeof(Outcome),
    };

    /// <summary>
    /// What the deserialiser would silently drop or cannot read, walked along the type: a field the type does not have
    /// (a mentor's <c>expertises</c> would read as no expertise at all) or a code its enum does not have. Null when all is known.
    /// </summary>
    private static string? Unreadable(JsonElement element, JsonTypeInfo type, string path)
    {
        var target = Nullable.GetUnderlyingType(type.Type) ?? type.Type;
        switch (type.Kind)
        {
            case JsonTypeInfoKind.Object when element.ValueKind == JsonValueKind.Object:
                foreach (var field in element.EnumerateObject())
                {
                    if (path.Length == 0 && field.Name is "kind" or "asOf") continue;
                    var known = type.Properties.FirstOrDefault(p => string.Equals(p.Name, field.Name, StringComparison.OrdinalIgnoreCase));
                    if (known is null)
                        return $"has an unknown field '{path}{field.Name}' (known here: {string.Join(", ", type.Properties.Select(p => p.Name))})";
                    if (Unreadable(field.Value, Json.GetTypeInfo(known.PropertyType), $"{path}{field.Name}.") is { } why) return why;
                }
                return null;
            case JsonTypeInfoKind.Enumerable when element.ValueKind == JsonValueKind.Array && type.ElementType is { } itemType:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                    if (Unreadable(item, Json.GetTypeInfo(itemType), $"{path.TrimEnd('.')}[{index++}].") is { } why) return why;
                return null;
            case JsonTypeInfoKind.None when target.IsEnum && element.ValueKind == JsonValueKind.String:
                var names = Enum.GetNames(target).Select(JsonNamingPolicy.CamelCase.ConvertName).ToArray();
                return names.Contains(element.GetString(), StringComparer.OrdinalIgnoreCase) ? null
                    : $"has an unknown code '{element.GetString()}' in {path.TrimEnd('.')} (known: {string.Join(", ", names)})";
            default:
                return null; // wrong types are the deserialiser's to refuse, with their path
        }
    }

    /// <summary>Refuses a file in which more than <see cref="MaximumProblemShare"/> of the lines have a problem, saying how many and the first ones.</summary>
    public void RefuseIfMostlyProblems(string what)
    {
        if (Lines == 0 || (double)Problems.Count / Lines <= MaximumProblemShare) return;
        throw new InvalidDataException(
            $"{what}: {Problems.Count} of {Lines} lines ({(double)Problems.Count / Lines:0.#%}) have a problem, more than the {MaximumProblemShare:0%} " +
            $"a training file may have; is it in the format of docs/training-data.md? The first: {string.Join("; ", Problems.Take(3))}");
    }

    private static DateTimeOffset AsOf(JsonElement line) =>
        line.TryGetProperty("asOf", out var a) && a.ValueKind == JsonValueKind.String && a.TryGetDateTimeOffset(out var at) ? at : DateTimeOffset.MinValue;

    /// <summary>
    /// Adds a dated version; false for an undated profile whose id was already given with other values: a duplicate
    /// id (two files joined), not a version. Dated lines of the same date: the later one wins (an export may write a
    /// mentor twice in one instant, their load changed in between).
    /// </summary>
    private static bool AddVersion<T>(Dictionary<string, List<(DateTimeOffset, T)>> versions, string id, DateTimeOffset asOf, T profile)
    {
        if (!versions.TryGetValue(id, out var list)) versions[id] = list = [];
        if (list.FindIndex(v => v.Item1 == asOf) is var same and >= 0)
        {
            if (asOf == DateTimeOffset.MinValue) return JsonSerializer.Serialize(list[same].Item2, Json) == JsonSerializer.Serialize(profile, Json);
            list.RemoveAt(same);
        }
        list.Add((asOf, profile));
        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return true;
    }

    /// <summary>The version valid at <paramref name="at"/> (the latest not after it), or the earliest when all are later.</summary>
    private static T At<T>(List<(DateTimeOffset AsOf, T Profile)> versions, DateTimeOffset? at)
    {
        if (at is null) return versions[^1].Profile;
        var found = versions[0].Profile;
        foreach (var (asOf, profile) in versions)
            if (asOf <= at) found = profile;
        return found;
    }

    /// <summary>A profile line with the time it was valid from (exports from the service write one per snapshot).</summary>
    public static string Line(string kind, object value, DateTimeOffset asOf)
    {
        var node = JsonSerializer.SerializeToNode(value, Json)!.AsObject();
        node.Insert(0, "kind", kind);
        node.Insert(1, "asOf", asOf);
        return node.ToJsonString(Json);
    }

    private static string? Invalid(string? id, IReadOnlyList<LanguageSkill>? languages, Availability? availability) =>
        string.IsNullOrWhiteSpace(id) ? "without id"
        : languages is null || languages.Count == 0 ? "without languages"
        : availability is null || !WeeklyTime.IsKnownZone(availability.TimeZone) ? "without a known IANA time zone"
        : languages.FirstOrDefault(l => !IsoLanguages.IsValid(l?.Language)) is { } odd
            ? $"with language '{odd?.Language}', which is not an ISO 639-1 code in lower case (fr, en, ar...)"
        : null;

    public static string Line(string kind, object value)
    {
        var node = JsonSerializer.SerializeToNode(value, Json)!.AsObject();
        node.Insert(0, "kind", kind);
        return node.ToJsonString(Json);
    }

    /// <summary>Features and labels, computed by the engine's own code, grouped by request.</summary>
    public IReadOnlyList<(string RequestId, MatchRequest Request, List<(string MentorId, PairRow Row)> Pairs)> Examples(DateTime weekStartUtc)
    {
        // Profiles as they were when each outcome was proposed (the latest version for files without dates).
        var prepared = new Dictionary<MentorProfile, PreparedMentor>(ReferenceEqualityComparer.Instance);
        PreparedMentor Mentor(Outcome o)
        {
            var profile = At(_mentorVersions[o.MentorId], o.ProposedAt);
            if (!prepared.TryGetValue(profile, out var p)) prepared[profile] = p = new PreparedMentor(profile, weekStartUtc);
            return p;
        }
        return Outcomes.GroupBy(o => o.RequestId).Select(g =>
        {
            var first = g.First();
            var request = new MatchRequest(At(_learnerVersions[first.LearnerId], first.ProposedAt), first.Goals, first.GoalText);
            var learner = new PreparedLearner(request.Learner, weekStartUtc);
            var pairs = g.Select(o =>
            {
                // Offered: put to the mentor, who accepted or declined (files without the field: every outcome was).
                var row = new PairRow { Label = o.Worked, Accepted = o.Accepted, Offered = o.Offered ?? true, DeclineReason = o.DeclineReason, Weight = Exploration.Weight(o.Propensity) };
                PairFeatures.Compute(request, learner, Mentor(o), row.Features);
                return (o.MentorId, row);
            }).ToList();
            return (g.Key, request, pairs);
        }).ToList();
    }
}
