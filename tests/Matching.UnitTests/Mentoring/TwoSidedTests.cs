using Matching.Mentoring.Engine;
using Microsoft.ML;

namespace Matching.UnitTests.Mentoring;

/// <summary>The study runs once: three models trained on the world where mentors decline with reasons (about 4 s).</summary>
public sealed class TwoSidedStudyFixture : IDisposable
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("two-sided").FullName;
    public IReadOnlyList<TwoSidedStudy.Row> Rows { get; }

    public TwoSidedStudyFixture() => Rows = TwoSidedStudy.Run(800, 4000, 42, Folder);

    public TwoSidedStudy.Row Row(string scorer) => Rows.Single(r => r.Scorer == scorer);

    public void Dispose() => Directory.Delete(Folder, true);
}

/// <summary>
/// Two-sided scores (issue 11, item 3): the mentor's acceptance is learnt apart from whether a match works, the flat file
/// carries both sides and scores as ML.NET's two zips do, the engine's shortcut gives the top k that scoring everyone
/// gives, and declines for distance or language move the model.
/// </summary>
public sealed class TwoSidedTests(TwoSidedStudyFixture study) : IClassFixture<TwoSidedStudyFixture>
{
    private TreeModel TwoSided => FlatModelFile.ReadFile(Path.Combine(study.Folder, "twosided.zip"));

    [Fact]
    public void Declines_for_distance_or_language_move_the_model_and_the_first_offers_fare_better_than_with_one_model()
    {
        var (rules, one, two, blind) = (study.Row("rules"), study.Row("one model, 'it worked'"), study.Row("two-sided"),
            study.Row("two-sided, without far/language declines"));
        Assert.Equal("two-sided", two.Sides);
        // What those declines taught: trained without them, the model offers far more learners to mentors who turn them down for it.
        Assert.True(blind.FarOrLanguagePer100 - two.FarOrLanguagePer100 >= 1.0, $"with {two.FarOrLanguagePer100}, without {blind.FarOrLanguagePer100} per 100");
        Assert.True(two.FarOrLanguagePer100 < one.FarOrLanguagePer100 && two.FarOrLanguagePer100 < rules.FarOrLanguagePer100);
        Assert.True(two.DeclinedPer100 < one.DeclinedPer100, $"declined: two-sided {two.DeclinedPer100}, one model {one.DeclinedPer100}");
        Assert.True(two.WorkedPer100 > rules.WorkedPer100 && two.WorkedPer100 >= one.WorkedPer100 - 0.5,
            $"worked: two-sided {two.WorkedPer100}, one model {one.WorkedPer100}, rules {rules.WorkedPer100}");
        Assert.True(study.Row("oracle (true chance of working)").OracleShare == 1 && two.OracleShare > rules.OracleShare);
    }

    [Fact]
    public void The_flat_file_carries_both_sides_and_scores_as_the_two_ml_net_zips_multiplied()
    {
        var flat = TwoSided;
        Assert.NotNull(flat.Acceptance);
        var zip = Path.Combine(study.Folder, "twosided.zip");
        Assert.True(File.Exists(FlatModelFile.AcceptanceZipBeside(zip)));
        var ml = new MLContext();
        var random = new Random(5);
        var rows = Enumerable.Range(0, 20_000).Select(_ => Enumerable.Range(0, PairFeatures.Count).Select(_ => random.NextSingle()).ToArray())
            .Append(new float[PairFeatures.Count]).Append(Enumerable.Repeat(float.NaN, PairFeatures.Count).ToArray()).ToList();
        float[] Predict(string path) => ml.Data.CreateEnumerable<Prediction>(ml.Model.Load(path, out _)
            .Transform(ml.Data.LoadFromEnumerable(rows.Select(r => new PairRow { Features = r }))), reuseRowObject: false).Select(p => p.Probability).ToArray();
        var (success, acceptance) = (Predict(zip), Predict(FlatModelFile.AcceptanceZipBeside(zip)));
        var fast = new float[rows.Count];
        flat.Score(rows.SelectMany(r => r).ToArray(), fast);
        var own = new float[rows.Count];
        flat.ScoreOwn(rows.SelectMany(r => r).ToArray(), own);
        for (var i = 0; i < rows.Count; i++)
        {
            var plain = flat.Probability(rows[i]);
            Assert.True(Math.Abs(success[i] * acceptance[i] - plain) <= 1e-5, $"row {i}: ML.NET {success[i] * acceptance[i]}, flat {plain}");
            Assert.True(Math.Abs(100 * plain - fast[i]) <= 1e-3, $"row {i}: plain {100 * plain}, fast {fast[i]}");
            Assert.True(fast[i] <= own[i], "a two-sided score is never above its success side");
        }
        // Written and read again, it is the same model (format 2).
        var again = FlatModelFile.Read(FlatModelFile.Write(flat), "again");
        Assert.Equal(flat.Probability(rows[3]), again.Probability(rows[3]));
    }

    [Fact]
    public void The_engine_walks_the_acceptance_side_only_where_it_can_matter_and_proposes_what_scoring_everyone_proposes()
    {
        var model = TwoSided;
        var random = new Random(8);
        var mentors = Enumerable.Range(0, 3000).Select(i => new PreparedMentor(SyntheticData.Mentor(random, $"m{i:D5}"), Sample.Week)).ToList();
        var spread = new LoadSpread(0.2, TimeProvider.System);
        var everyone = new ScoreEveryone(model);
        for (var r = 0; r < 60; r++)
        {
            var learner = SyntheticData.Learner(random, $"l{r}");
            var (goals, text) = SyntheticData.Goals(random, learner);
            var request = new MatchRequest(learner, goals, text);
            foreach (var k in new[] { 1, 5, 20 })
            {
                var fast = Matcher.Match(request, mentors, model, k, Sample.Week, spread: r % 2 == 0 ? null : spread);
                var full = Matcher.Match(request, mentors, everyone, k, Sample.Week, spread: r % 2 == 0 ? null : spread);
                Assert.Equal(full.Proposals.Select(p => (p.MentorId, p.Score)), fast.Proposals.Select(p => (p.MentorId, p.Score)));
                Assert.Equal(full.CandidatesScored, fast.CandidatesScored);
            }
            if (r % 2 == 1) spread.Proposed(Matcher.Match(request, mentors, model, 5, Sample.Week).Proposals.Select(p => p.MentorId));
        }
    }

    /// <summary>The same model behind the plain interface, so the engine scores every candidate on both sides.</summary>
    private sealed class ScoreEveryone(TreeModel model) : IPairScorer
    {
        public string Name => model.Name;
        public void Score(ReadOnlySpan<float> features, Span<float> scores) => model.Score(features, scores);
        public float[] Contributions(ReadOnlySpan<float> features) => model.Contributions(features);
    }

    private sealed class Prediction
    {
        public float Probability { get; set; }
    }
}
