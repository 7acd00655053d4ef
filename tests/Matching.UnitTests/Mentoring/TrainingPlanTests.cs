using Matching.Engine;
using Matching.Training;

namespace Matching.UnitTests.Mentoring;

/// <summary>
/// Issue 29, item 6: <c>retrain</c> (the command and the weekly timer) trains its candidate exactly as <c>train</c> trains
/// (settings searched on the kind of model that ships, refitted on every row), so the same file gives the same model.
/// Before, retrain fitted fixed settings (80 trees of 16 leaves) on 80% of the rows and served that fit.
/// </summary>
public sealed class TrainingPlanTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
    private static DateTime Week => WeeklyTime.WeekStart(Now);

    [Fact]
    public void Retrain_and_train_make_the_same_model_of_the_same_file_within_0_002_ndcg_on_held_out_requests()
    {
        var file = SyntheticData.Generate(new SyntheticData.Options(Mentors: 250, Learners: 900, Seed: 21, Declines: true), Week);
        var (trainFolder, retrainFolder) = (Directory.CreateTempSubdirectory("matching-plan-train-").FullName, Directory.CreateTempSubdirectory("matching-plan-retrain-").FullName);
        try
        {
            var trained = Evaluation.TrainAndEvaluate(file, trainFolder, "trained", Now, new MlNetTrees.TrainingOptions(), "synthetic");
            var (retrained, decision) = Retraining.Run(file, new RuleScorer(), retrainFolder, "retrained", Now, new GateOptions(), "synthetic", "-");

            // The same plan: the same held-out requests, the same settings searched on the same kind of model, every row refitted.
            Assert.Equal(trained.TestRequests, retrained.TestRequests);
            Assert.Equal("two-sided", trained.Sides);
            Assert.Equal(trained.Sides, retrained.Sides);
            var settings = Assert.IsType<SettingsSearch.Choice>(retrained.Settings);
            Assert.False(settings.FellBack, settings.Why);
            Assert.Equal("two-sided", settings.Sides); // the search tried the kind that ships, not a one-sided stand-in
            Assert.Equal(trained.Settings!.ToString(), settings.ToString());
            Assert.Equal(trained.Settings.Trials!, settings.Trials!);
            var everyRow = file.Examples(Week).Sum(e => e.Pairs.Count);
            Assert.Equal(everyRow, trained.FittedOnExamples);
            Assert.Equal(everyRow, retrained.FittedOnExamples);
            Assert.True(Math.Abs(trained.Model.Ndcg5 - decision.Candidate.Ndcg5) <= 0.002, $"train {trained.Model.Ndcg5}, retrain {decision.Candidate.Ndcg5}");

            // The models written, judged on requests neither saw.
            var unseen = SyntheticData.Generate(new SyntheticData.Options(Mentors: 250, Learners: 400, Seed: 22, Declines: true), Week);
            var pool = unseen.Mentors.Values.Select(m => new PreparedMentor(m, Week)).ToList();
            double Ndcg(string folder, string version) =>
                Evaluation.Measure(FlatModelFile.ReadFile(Path.Combine(folder, $"{version}.zip")), unseen.Examples(Week), pool, Week).Ndcg5;
            var (a, b) = (Ndcg(trainFolder, "trained"), Ndcg(retrainFolder, "retrained"));
            Assert.True(Math.Abs(a - b) <= 0.002, $"train's model {a}, retrain's {b}");
            Assert.Equal(settings.Trees, FlatModelFile.ReadFile(Path.Combine(retrainFolder, "retrained.zip")).TreeList.Count);
        }
        finally
        {
            Directory.Delete(trainFolder, recursive: true);
            Directory.Delete(retrainFolder, recursive: true);
        }
    }

    [Fact]
    public void Too_few_requests_to_search_the_settings_is_said_in_the_report()
    {
        var file = SyntheticData.Generate(new SyntheticData.Options(Mentors: 80, Learners: 120, Seed: 5), Week);
        var folder = Directory.CreateTempSubdirectory("matching-plan-few-").FullName;
        try
        {
            var (report, _) = Retraining.Run(file, new RuleScorer(), folder, "few", Now, new GateOptions(), "synthetic", "-");
            var settings = Assert.IsType<SettingsSearch.Choice>(report.Settings);
            Assert.True(settings.FellBack);
            Assert.Contains($"fewer than {SettingsSearch.MinimumValidationRequests}", settings.Why, StringComparison.Ordinal);
            Assert.Contains("80 trees of 16 leaves", settings.ToString(), StringComparison.Ordinal);
            var written = File.ReadAllText(Path.Combine(folder, "few.json"));
            Assert.Contains("fewer than", written, StringComparison.Ordinal);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
