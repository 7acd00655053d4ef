using Matching.Engine;
using Matching.Training;
using Microsoft.ML;

namespace Matching.UnitTests.Mentoring;

/// <summary>
/// The flat file serving reads gives ML.NET's scores on the shipped model: 100,000 pairs of the synthetic world and
/// edge rows, through both walks; a file that is altered, truncated or made for other features is refused.
/// </summary>
public sealed class FlatModelTests
{
    private static readonly string Zip = Path.Combine(AppContext.BaseDirectory, "Mentoring", "Model", "matching-v3.zip");

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
            transformer.Transform(MlNetTrees.Load(ml, rows.Select(r => new PairRow { Features = r }).ToList())), reuseRowObject: false).ToList();
        var block = rows.SelectMany(r => r).ToArray();
        var fast = new float[rows.Count];
        flat.Score(block, fast);
        var scalar = new float[rows.Count];
        flat.ScoreScalar(block, scalar);
        var fromZip = Evaluation.LoadMlNet(Zip, report);
        var worst = 0.0;
        for (var i = 0; i < rows.Count; i++)
        {
            var plain = flat.Probability(rows[i]);
            worst = Math.Max(worst, Math.Abs(predicted[i].Probability - plain));
            Assert.Equal(fromZip.Probability(rows[i]), plain);                 // the file holds exactly the zip's trees
            Assert.Equal((float)(100 * plain), fast[i]);                          // the fast walk is the plain walk
            Assert.Equal(fast[i], scalar[i]);                                     // the vector walk (AVX-512) is the scalar one
        }
        Assert.True(worst <= 1e-5, $"largest |probability difference| with ML.NET: {worst}");
    }

    [Fact]
    public void Both_fast_walks_equal_the_plain_walk_for_any_tree_shape_block_size_and_two_sided_model()
    {
        var random = new Random(5);
        TreeModel Model(params int[] splits) => new("t", splits.Select(n => RandomTree(random, n)).ToList(), 0.1, -1.3, 0.2, new float[PairFeatures.Count]);
        var fits = Model([.. Enumerable.Range(0, 32), 31, 17, 5]);   // every shape the vector tables hold, up to 31 splits
        var tooBig = Model(3, 40, 12);                                // one tree beyond them: the scalar walk serves
        var twoSided = fits.WithAcceptance(Model(8, 19, 31, 0, 2));
        foreach (var count in new[] { 1, 7, 8, 9, 32, 33, 63, 64, 65, 200 })
        {
            var block = Enumerable.Range(0, count * PairFeatures.Count).Select(_ => random.Next(20) == 0 ? float.NaN : random.Next(9) / 8f).ToArray(); // ties with thresholds too
            foreach (var model in new[] { fits, tooBig, twoSided })
            {
                var (fast, scalar) = (new float[count], new float[count]);
                model.Score(block, fast);
                model.ScoreScalar(block, scalar);
                Assert.Equal(scalar, fast);
                if (model.Acceptance is not null) continue;
                for (var i = 0; i < count; i++)
                    Assert.Equal((float)(100 * model.Probability(block.AsSpan(i * PairFeatures.Count, PairFeatures.Count))), fast[i]);
            }
        }
    }

    /// <summary>A tree of <paramref name="splits"/> splits grown at random leaves, in ML.NET's encoding (leaf k as ~k).</summary>
    private static TreeModel.Tree RandomTree(Random random, int splits)
    {
        var (feature, threshold, left, right) = (new int[splits], new float[splits], new int[splits], new int[splits]);
        var leaves = 1;
        var slots = new List<(int Split, bool Left)>(); // where the leaves hang
        for (var s = 0; s < splits; s++)
        {
            (feature[s], threshold[s]) = (random.Next(PairFeatures.Count), random.Next(9) / 8f);
            if (s == 0) { (left[0], right[0], leaves) = (~0, ~1, 2); slots.AddRange([(0, true), (0, false)]); continue; }
            var pick = random.Next(slots.Count);
            var (parent, isLeft) = slots[pick];
            var leaf = isLeft ? left[parent] : right[parent];
            if (isLeft) left[parent] = s; else right[parent] = s;
            (left[s], right[s]) = (leaf, ~leaves++);
            slots[pick] = (s, true);
            slots.Add((s, false));
        }
        return new TreeModel.Tree(feature, threshold, left, right, Enumerable.Range(0, leaves).Select(_ => random.NextDouble() - 0.5).ToArray(), 0.7);
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
