using Matching.Studies;
using Matching.Engine;
using Matching.Training;
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
        // How often the first offer works is about the same as with one model (ahead or behind by a point, world by world: docs/matching-model.md).
        Assert.True(two.WorkedPer100 > rules.WorkedPer100 + 2, $"worked: two-sided {two.WorkedPer100}, rules {rules.WorkedPer100}");
        Assert.Equal(1, study.Row("oracle (true chance of working)").OracleShare);
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
            .Transform(MlNetTrees.Load(ml, rows.Select(r => new PairRow { Features = r }).ToList())), reuseRowObject: false).Select(p => p.Probability).ToArray();
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
        // Written and read again, it is the same model (format 2); and read from the two zips, as `flatten` does, too.
        var again = FlatModelFile.Read(FlatModelFile.Write(flat), "again");
        Assert.Equal(flat.Probability(rows[3]), again.Probability(rows[3]));
        var report = new ModelReport(flat.Version, default, "", 0, 0, 0, null!, null!, PairFeatures.Names, [.. flat.Baseline], []); // what LoadMlNet reads of it
        var fromZips = Evaluation.LoadMlNet(zip, report);
        Assert.NotNull(fromZips.Acceptance);
        Assert.All(rows.Take(500), r => Assert.Equal(flat.Probability(r), fromZips.Probability(r)));
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

/// <summary>Exploration (issue 11, item 4): which proposal fills the last slot, with what propensity, and what an outcome then weighs.</summary>
public sealed class ExplorationTests
{
    private static readonly string[] Ranked = ["r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11"];

    [Fact]
    public void Without_exploration_the_top_k_are_shown_each_surely()
    {
        var (shown, propensities) = Exploration.Choose(Ranked, 5, 0, new Random(1));
        Assert.Equal(Ranked[..5], shown);
        Assert.All(propensities, p => Assert.Equal(1, p));
        Assert.Equal(5, Exploration.Ranked(5, 0));
        Assert.Equal(10, Exploration.Ranked(5, 0.1));
    }

    [Fact]
    public void The_last_slot_comes_from_ranks_six_to_ten_at_the_share_asked_with_the_propensity_it_had()
    {
        var random = new Random(3);
        var (explored, counts) = (0, new Dictionary<string, int>());
        const int draws = 20_000;
        for (var i = 0; i < draws; i++)
        {
            var (shown, propensities) = Exploration.Choose(Ranked, 5, 0.1, random);
            Assert.Equal(Ranked[..4], shown.Take(4));
            Assert.Equal([1.0, 1, 1, 1], propensities.Take(4));
            var last = shown[4];
            counts[last] = counts.GetValueOrDefault(last) + 1;
            if (last == "r5") Assert.Equal(0.9, propensities[4], 12);
            else { explored++; Assert.Equal(0.02, propensities[4], 12); Assert.Contains(last, Ranked[5..10]); }
        }
        Assert.InRange(explored, draws * 0.09, draws * 0.11);
        Assert.All(Ranked[5..10], r => Assert.InRange(counts[r], draws * 0.015, draws * 0.025)); // each as likely
        // Fewer candidates than the window: the share is spread over those there are.
        var (few, fewPropensities) = Exploration.Choose(Ranked[..6], 5, 1, random);
        Assert.Equal("r6", few[4]);
        Assert.Equal(1, fewPropensities[4]);
        // Nothing beyond the top k: nothing to explore.
        Assert.Equal([1.0, 1, 1], Exploration.Choose(Ranked[..3], 5, 1, random).Propensities);
    }

    [Fact]
    public void An_outcome_weighs_the_inverse_of_its_propensity_clipped_and_a_bad_propensity_is_a_data_problem()
    {
        Assert.Equal(1f, Exploration.Weight(null));
        Assert.Equal(1f, Exploration.Weight(1));
        Assert.Equal(2f, Exploration.Weight(0.5));
        Assert.Equal((float)Exploration.MaxWeight, Exploration.Weight(0.02));
        static string Outcome(string request, double propensity) =>
            $$"""{"kind":"outcome","requestId":"{{request}}","learnerId":"l1","mentorId":"m1","goals":["cvReview"],"accepted":true,"sessionHeld":true,"propensity":{{propensity}}}""";
        var data = TrainingData.Read(new StringReader(string.Join('\n', TrainingData.Line("mentor", Sample.Mentor("m1")), TrainingData.Line("learner", Sample.Learner()),
            Outcome("r1", 0.5), Outcome("r2", 0), Outcome("r3", 1.5))));
        Assert.Equal(["line 4", "line 5"], data.Problems.Select(p => p[..p.IndexOf(':')]));
        Assert.Equal(2f, Assert.Single(data.Examples(Sample.Week)).Pairs.Single().Row.Weight);
    }
}

/// <summary>
/// Features that generalise (issue 11, item 7; issue 19, item 8): on the three synthetic worlds, the one the features were
/// written for, one whose hidden rules differ, and a third written from another hand (interactions through the expertise
/// lists, thresholds on French levels), a model trained on 1,000 requests with settings chosen by validation ranks at 95%
/// of the oracle or more, above the rules; on the second and third worlds the raw facts are what gets it there.
/// </summary>
public sealed class GeneralisationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void From_a_thousand_requests_the_model_ranks_at_95_percent_of_the_oracle_in_every_world(int world)
    {
        var row = Assert.Single(GeneralisationStudy.Run(world, [1000]));
        Assert.True(row.Model >= 0.95, $"world {world}: {row.Model} of the oracle");
        Assert.True(row.Model > row.Rules, $"world {world}: model {row.Model}, rules {row.Rules}");
        if (world != 1) Assert.True(row.Model - row.HandMadeOnly >= 0.05, $"all features {row.Model}, hand-made only {row.HandMadeOnly}");
    }
}
