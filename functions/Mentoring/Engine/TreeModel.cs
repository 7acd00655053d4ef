using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace Matching.Mentoring.Engine;

/// <summary>One training example: a pair's features and whether the pair worked.</summary>
public sealed class PairRow
{
    [VectorType(PairFeatures.Count)] public float[] Features { get; set; } = new float[PairFeatures.Count];
    public bool Label { get; set; }
}

/// <summary>
/// A trained FastTree ensemble, walked directly over flat arrays: thread-safe (no PredictionEngine to pool),
/// allocation-free per pair, and identical in score to ML.NET's own prediction (a unit test checks it).
/// The probability is ML.NET's Platt calibration of the raw score.
/// </summary>
public sealed class TreeModel : IPairScorer
{
    private readonly int[][] _feature;
    private readonly float[][] _threshold;
    private readonly int[][] _left;
    private readonly int[][] _right;
    private readonly double[][] _leaf;
    private readonly double[] _treeWeight;
    private readonly double _bias;
    private readonly double _slope;
    private readonly double _offset;
    private readonly float[] _baseline;

    public TreeModel(string version, TreeEnsemble<RegressionTree> ensemble, PlattCalibrator calibrator, float[] baseline)
    {
        Version = version;
        var trees = ensemble.Trees;
        _feature = trees.Select(t => t.NumericalSplitFeatureIndexes.ToArray()).ToArray();
        _threshold = trees.Select(t => t.NumericalSplitThresholds.ToArray()).ToArray();
        _left = trees.Select(t => t.LeftChild.ToArray()).ToArray();
        _right = trees.Select(t => t.RightChild.ToArray()).ToArray();
        _leaf = trees.Select(t => t.LeafValues.ToArray()).ToArray();
        _treeWeight = ensemble.TreeWeights.ToArray();
        _bias = ensemble.Bias;
        _slope = calibrator.Slope;
        _offset = calibrator.Offset;
        _baseline = baseline;
    }

    public string Version { get; }
    public string Name => $"ml-{Version}";
    public int Trees => _leaf.Length;

    /// <summary>The ensemble's raw output (the sum of the trees' leaves).</summary>
    public double Raw(ReadOnlySpan<float> f)
    {
        var sum = _bias;
        for (var t = 0; t < _leaf.Length; t++)
        {
            var feature = _feature[t];
            var threshold = _threshold[t];
            var left = _left[t];
            var right = _right[t];
            var node = 0;
            if (left.Length > 0)
                while (node >= 0) node = f[feature[node]] <= threshold[node] ? left[node] : right[node];
            sum += _treeWeight[t] * _leaf[t][left.Length > 0 ? ~node : 0];
        }
        return sum;
    }

    public double Probability(ReadOnlySpan<float> f) => 1 / (1 + Math.Exp(_slope * Raw(f) + _offset)); // ML.NET PlattCalibrator

    public void Score(ReadOnlySpan<float> features, Span<float> scores)
    {
        for (var row = 0; row < scores.Length; row++)
            scores[row] = (float)(100 * Probability(features.Slice(row * PairFeatures.Count, PairFeatures.Count)));
    }

    /// <summary>
    /// What each feature added: the score minus the score with that feature set to its training average.
    /// Simple, model-agnostic, and honest for a tree ensemble.
    /// </summary>
    public float[] Contributions(ReadOnlySpan<float> features)
    {
        Span<float> probe = stackalloc float[PairFeatures.Count];
        features.CopyTo(probe);
        var full = 100 * Probability(probe);
        var c = new float[PairFeatures.Count];
        for (var i = 0; i < c.Length; i++)
        {
            var keep = probe[i];
            probe[i] = _baseline[i];
            c[i] = (float)(full - 100 * Probability(probe));
            probe[i] = keep;
        }
        return c;
    }

    // ---- training and loading (ML.NET) -------------------------------------------------------------

    public sealed record TrainingOptions(int Trees = 80, int Leaves = 16, int MinimumExamplesPerLeaf = 20, double LearningRate = 0.2, int Seed = 7);

    public static ITransformer Train(MLContext ml, IReadOnlyList<PairRow> rows, TrainingOptions options)
    {
        var data = ml.Data.LoadFromEnumerable(rows);
        var trainer = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            NumberOfTrees = options.Trees,
            NumberOfLeaves = options.Leaves,
            MinimumExampleCountPerLeaf = options.MinimumExamplesPerLeaf,
            LearningRate = options.LearningRate,
            FeatureColumnName = nameof(PairRow.Features),
            LabelColumnName = nameof(PairRow.Label),
            NumberOfThreads = 1, // reproducible
        });
        return trainer.Fit(data);
    }

    /// <summary>Reads an ML.NET model zip written by <see cref="Train"/> into the flat form.</summary>
    public static TreeModel FromMlNet(string version, ITransformer transformer, float[] baseline)
    {
        var model = (transformer as ISingleFeaturePredictionTransformer<object>)?.Model
            ?? throw new InvalidDataException("The model is not a single-feature prediction transformer.");
        if (model is not CalibratedModelParametersBase calibrated)
            throw new InvalidDataException($"Expected a calibrated tree ensemble, found {model.GetType().Name}.");
        // The generic arguments differ between a trained and a loaded model: find the parts by what they are.
        object? Part(string name) => calibrated.GetType().GetProperties().Where(p => p.Name == name).Select(p => p.GetValue(calibrated)).FirstOrDefault(v => v is not null);
        var subModel = Part("SubModel") as TreeEnsembleModelParametersBasedOnRegressionTree
            ?? throw new InvalidDataException("The model is not a tree ensemble.");
        var calibrator = Part("Calibrator") as PlattCalibrator
            ?? throw new InvalidDataException("The model is not Platt-calibrated.");
        return new TreeModel(version, subModel.TrainedTreeEnsemble, calibrator, baseline);
    }

    public static float[] Means(IReadOnlyList<PairRow> rows)
    {
        var means = new float[PairFeatures.Count];
        foreach (var r in rows) for (var i = 0; i < means.Length; i++) means[i] += r.Features[i];
        for (var i = 0; i < means.Length; i++) means[i] /= Math.Max(1, rows.Count);
        return means;
    }
}
