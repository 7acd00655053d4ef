using System.Text.Json;
using System.Text.Json.Serialization;

namespace Matching.Mentoring.Engine;

/// <summary>One labelled example, raw: who was proposed to whom for which goals, and how it turned out.</summary>
public sealed record Outcome(string RequestId, string LearnerId, string MentorId, IReadOnlyList<Expertise> Goals, string? GoalText,
    bool Accepted, bool SessionHeld, int? Rating)
{
    /// <summary>The label the model learns: the pair worked (accepted and a session held, and not rated poorly).</summary>
    public bool Worked => Accepted && SessionHeld && (Rating is null || Rating >= 3);
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
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public Dictionary<string, MentorProfile> Mentors { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, LearnerProfile> Learners { get; } = new(StringComparer.Ordinal);
    public List<Outcome> Outcomes { get; } = [];
    public List<string> Problems { get; } = [];

    public static TrainingData Read(TextReader reader)
    {
        var data = new TrainingData();
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var kind = doc.RootElement.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
                switch (kind)
                {
                    case "mentor":
                        var mentor = doc.RootElement.Deserialize<MentorProfile>(Json);
                        if (Invalid(mentor?.Id, mentor?.Languages, mentor?.Availability) is { } why) { data.Problems.Add($"line {number}: mentor {why}"); break; }
                        data.Mentors[mentor!.Id] = mentor with { Expertise = mentor.Expertise ?? [], Modes = mentor.Modes ?? [] };
                        break;
                    case "learner":
                        var learner = doc.RootElement.Deserialize<LearnerProfile>(Json);
                        if (Invalid(learner?.Id, learner?.Languages, learner?.Availability) is { } whyL) { data.Problems.Add($"line {number}: learner {whyL}"); break; }
                        data.Learners[learner!.Id] = learner with { Modes = learner.Modes ?? [] };
                        break;
                    case "outcome":
                        var outcome = doc.RootElement.Deserialize<Outcome>(Json);
                        if (outcome is null || string.IsNullOrEmpty(outcome.RequestId)) { data.Problems.Add($"line {number}: outcome without requestId"); break; }
                        if (!data.Learners.ContainsKey(outcome.LearnerId ?? "")) { data.Problems.Add($"line {number}: outcome names unknown learner '{outcome.LearnerId}'"); break; }
                        if (!data.Mentors.ContainsKey(outcome.MentorId ?? "")) { data.Problems.Add($"line {number}: outcome names unknown mentor '{outcome.MentorId}'"); break; }
                        if (outcome.Goals is null || outcome.Goals.Count == 0) { data.Problems.Add($"line {number}: outcome without goals"); break; }
                        if (outcome.Rating is < 1 or > 5) { data.Problems.Add($"line {number}: rating must be 1 to 5"); break; }
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

    private static string? Invalid(string? id, IReadOnlyList<LanguageSkill>? languages, Availability? availability) =>
        string.IsNullOrWhiteSpace(id) ? "without id"
        : languages is null || languages.Count == 0 ? "without languages"
        : availability is null || !WeeklyTime.IsKnownZone(availability.TimeZone) ? "without a known IANA time zone"
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
        var prepared = Mentors.ToDictionary(m => m.Key, m => new PreparedMentor(m.Value, weekStartUtc));
        return Outcomes.GroupBy(o => o.RequestId).Select(g =>
        {
            var first = g.First();
            var request = new MatchRequest(Learners[first.LearnerId], first.Goals, first.GoalText);
            var learner = new PreparedLearner(request.Learner, weekStartUtc);
            var pairs = g.Select(o =>
            {
                var row = new PairRow { Label = o.Worked };
                PairFeatures.Compute(request, learner, prepared[o.MentorId], row.Features);
                return (o.MentorId, row);
            }).ToList();
            return (g.Key, request, pairs);
        }).ToList();
    }
}
