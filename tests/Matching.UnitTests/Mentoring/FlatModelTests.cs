using Matching.Mentoring.Engine;
using Microsoft.ML;

namespace Matching.UnitTests.Mentoring;

/// <summary>
/// The flat file serving reads gives ML.NET's scores on the shipped model: 100,000 pairs of the synthetic world and
/// edge rows, through both walks; a file that is altered, truncated or made for other features is refused.
/// </summary>
public sealed class FlatModelTests
{
    private static readonly string Zip = Path.Combine(AppContext.BaseDirectory, "Mentoring", "Model", "matching-v2.zip");

    private static List<float[]> Rows()
    {
        var week = WeeklyTime.WeekStart(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));
        var random = new Random(12);
        var mentors = Enumerable.Range(0, 400).Select(i => new PreparedMentor(SyntheticData.Mentor(random, $"m{i}"), week)).ToList();
        var rows = new List<float[]>();
        for (var l = 0; rows.Count < 100_000; l++)
        {
            var profile = SyntheticData.Learner(random, $"l{l}");
            var (goals, text) = SyntheticData.Goals(random, profile);
            var request = new MatchRequest(profile, goals, text);
            var learner = new PreparedLearner(profile, week);
            foreach (var mentor in mentors.Skip(l * 37 % 300).Take(100))
            {
                var f = new float[PairFeatures.Count];
                PairFeatures.Compute(request, learner, mentor, f);
                rows.Add(f);
            }
        }
        // Edge rows: zeros, missing values (NaN), extremes, infinities, and each feature alone at an extreme.
        float[] Fill(float v) => Enumerable.Repeat(v, PairFeatures.Count).ToArray();
        rows.AddRange([Fill(0), Fill(float.NaN), Fill(1), Fill(-1), Fill(1e30f), Fill(-1e30f), Fill(float.MaxValue), Fill(float.MinValue),
            Fill(float.PositiveInfinity), Fill(float.NegativeInfinity), Fill(-0f), Fill(float.Epsilon)]);
        for (var i = 0; i < PairFeatures.Count; i++)
            foreach (var v in new[] { float.NaN, 1e30f, -1e30f })
            {
                var f = Fill(0.5f);
                f[i] = v;
                rows.Add(f);
            }
        return rows;
    }

    [Fact]
    public void The_flat_file_scores_as_the_ml_net_zip_on_100000_synthetic_pairs_and_edge_rows_through_both_walks()
    {
        var (flat, report) = Evaluation.LoadFile(Zip);
        var rows = Rows();
        var ml = new MLContext();
        var transformer = ml.Model.Load(Zip, out _);
        var predicted = ml.Data.CreateEnumerable<Prediction>(
            transformer.Transform(ml.Data.LoadFromEnumerable(rows.Select(r => new PairRow { Features = r }))), reuseRowObject: false).ToList();
        var block = rows.SelectMany(r => r).ToArray();
        var fast = new float[rows.Count];
        flat.Score(block, fast);
        var fromZip = Evaluation.LoadMlNet(Zip, report);
        var worst = 0.0;
        for (var i = 0; i < rows.Count; i++)
        {
            var plain = flat.Probability(rows[i]);
            worst = Math.Max(worst, Math.Abs(predicted[i].Probability - plain));
            Assert.Equal(fromZip.Probability(rows[i]), plain);                 // the file holds exactly the zip's trees
            Assert.Equal((float)(100 * plain), fast[i]);                          // the fast walk is the plain walk
        }
        Assert.True(worst <= 1e-5, $"largest |probability difference| with ML.NET: {worst}");
    }

    [Fact]
    public void An_altered_truncated_or_foreign_file_is_refused_with_a_clear_error()
    {
        var (model, _) = Evaluation.LoadFile(Zip);
        var bytes = FlatModelFile.Write(model);
        Assert.Equal(model.Probability(new float[PairFeatures.Count]), FlatModelFile.Read(bytes, "ok").Probability(new float[PairFeatures.Count]));

        var altered = bytes.ToArray();
        altered[bytes.Length / 2] ^= 1;
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => FlatModelFile.Read(altered, "m.flat")).Message);
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => FlatModelFile.Read(bytes[..^40], "m.flat")).Message);

        // The same model written by a build whose features differ: the schema string differs, the checksum is right.
        var foreign = FlatModelFile.Write(model).AsSpan(0, bytes.Length - 32).ToArray();
        var schema = System.Text.Encoding.UTF8.GetBytes(FlatModelFile.Schema);
        var at = foreign.AsSpan().IndexOf(schema);
        "GOAL"u8.CopyTo(foreign.AsSpan(at)); // same length: only the names differ
        var resealed = foreign.Concat(System.Security.Cryptography.SHA256.HashData(foreign)).ToArray();
        var error = Assert.Throws<InvalidDataException>(() => FlatModelFile.Read(resealed, "m.flat")).Message;
        Assert.Contains("trained on the features", error);
        Assert.Contains("Train it again", error);
    }

    private sealed class Prediction
    {
        public float Score { get; set; }
        public float Probability { get; set; }
    }
}
