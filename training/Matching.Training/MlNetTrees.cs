using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

using Matching.Engine;

namespace Matching.Training;

/// <summary>
/// The training side, with ML.NET: trains a FastTree ensemble and reads a trained or saved one into the serving
/// form (<see cref="TreeModel"/>). Serving never calls this: it reads the flat file (<see cref="FlatModelFile"/>).
/// </summary>
public static class MlNetTrees
{
    /// <param name="TwoSided">Learn the mentor's acceptance apart when the data allows (see <see cref="TrainAndWrite"/>).</param>
    public sealed record TrainingOptions(int Trees = 80, int Leaves = 16, int MinimumExamplesPerLeaf = 20, double LearningRate = 0.2, int Seed = 7, bool TwoSided = true);

    /// <summary>How ML.NET reads a <see cref="PairRow"/> (the engine's rows carry no ML.NET attributes): the features as
    /// one vector of <see cref="PairFeatures.Count"/>, the label and weight, and nothing of the offer's outcome.</summary>
    public static IDataView Load(MLContext ml, IReadOnlyList<PairRow> rows)
    {
        var schema = SchemaDefinition.Create(typeof(PairRow));
        foreach (var ignored in new[] { nameof(PairRow.Offered), nameof(PairRow.Accepted), nameof(PairRow.DeclineReason) })
            schema.Remove(schema[ignored]);
        schema[nameof(PairRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, PairFeatures.Count);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    public static ITransformer Train(MLContext ml, IReadOnlyList<PairRow> rows, TrainingOptions options)
    {
        var data = Load(ml, rows);
        var trainer = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            NumberOfTrees = options.Trees,
            NumberOfLeaves = options.Leaves,
            MinimumExampleCountPerLeaf = options.MinimumExamplesPerLeaf,
            LearningRate = options.LearningRate,
            FeatureColumnName = nameof(PairRow.Features),
            LabelColumnName = nameof(PairRow.Label),
            ExampleWeightColumnName = nameof(PairRow.Weight),
            NumberOfThreads = 1, // reproducible
        });
        return trainer.Fit(data);
    }

    /// <summary>Reads an ML.NET model (trained, or loaded from a zip written by <see cref="Train"/>) into the serving form.</summary>
    public static TreeModel ToTreeModel(string version, ITransformer transformer, float[] baseline)
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
        var ensemble = subModel.TrainedTreeEnsemble;
        var weights = ensemble.TreeWeights;
        var trees = ensemble.Trees.Select((t, i) => new TreeModel.Tree(t.NumericalSplitFeatureIndexes.ToArray(), t.NumericalSplitThresholds.ToArray(),
            t.LeftChild.ToArray(), t.RightChild.ToArray(), t.LeafValues.ToArray(), weights[i])).ToList();
        return new TreeModel(version, trees, ensemble.Bias, calibrator.Slope, calibrator.Offset, baseline);
    }

    /// <summary>The fewest accepted offers, with some that worked and some that did not, to learn the two sides apart.</summary>
    public const int MinimumAcceptedForTwoSided = 100;

    /// <summary>
    /// Trains on <paramref name="rows"/> and saves <c>{version}.zip</c> (the record of the run), reads it back as saved
    /// and writes <c>{version}.flat</c> beside it for serving. See <see cref="Fit"/> for what is learnt.
    /// </summary>
    public static (TreeModel Model, float[] Means, string Zip, string Sides) TrainAndWrite(IReadOnlyList<PairRow> rows, string outputDirectory, string version,
        TrainingOptions options)
    {
        Directory.CreateDirectory(outputDirectory);
        var zip = Path.Combine(outputDirectory, $"{version}.zip");
        var (model, means, sides) = Fit(rows, version, options, zip);
        File.WriteAllBytes(FlatModelFile.PathBeside(zip), FlatModelFile.Write(model));
        return (model, means, zip, sides);
    }

    /// <summary>
    /// The model that ships, fitted on <paramref name="rows"/>; in memory unless <paramref name="zip"/> is given (then
    /// saved there and read back as saved). Refuses rows whose labels are all alike: the model would score every pair
    /// the same (AUC 0.5).
    /// <para>Two-sided when the options ask and the rows allow it (<see cref="TwoSidedWhyNot"/>): the mentor's acceptance is
    /// learnt from the offers (accepted or declined, whatever the reason), saved as <c>{version}.accept.zip</c>; whether
    /// the match works is learnt from the accepted ones only. Serving ranks by the product. Otherwise one model learns
    /// "it worked" from every proposal, and <c>Sides</c> says why.</para>
    /// </summary>
    public static (TreeModel Model, float[] Means, string Sides) Fit(IReadOnlyList<PairRow> rows, string version, TrainingOptions options, string? zip = null)
    {
        if (rows.Count == 0) throw new InvalidOperationException("Not enough labelled examples to train.");
        if (rows.All(r => r.Label) || rows.All(r => !r.Label))
            throw new InvalidOperationException($"Every outcome of the training part {(rows[0].Label ? "worked" : "failed")}: there is nothing to learn from, and the model would score every pair alike. Export more outcomes first.");
        var means = Means(rows);
        var whyNot = options.TwoSided ? TwoSidedWhyNot(rows) : "asked for one side";
        var model = TrainOne(whyNot is null ? rows.Where(r => r.Accepted).ToList() : rows, zip, version, options, means);
        if (whyNot is null)
        {
            var offers = rows.Where(r => r.Offered).Select(r => new PairRow { Features = r.Features, Label = r.Accepted, Weight = r.Weight }).ToList();
            model = model.WithAcceptance(TrainOne(offers, zip is null ? null : FlatModelFile.AcceptanceZipBeside(zip), version, options, means));
        }
        return (model, means, whyNot is null ? "two-sided" : $"one-sided: {whyNot}");
    }

    /// <summary>Null when the rows can teach both sides: offers both accepted and declined, and enough accepted ones, some worked and some not.</summary>
    public static string? TwoSidedWhyNot(IReadOnlyList<PairRow> rows)
    {
        var (offers, accepted, worked) = (0, 0, 0);
        foreach (var r in rows)
        {
            if (!r.Offered) continue;
            offers++;
            if (r.Accepted) { accepted++; if (r.Label) worked++; }
        }
        return accepted == offers ? "no offer was declined"
            : accepted < MinimumAcceptedForTwoSided ? $"{accepted} accepted offers, fewer than {MinimumAcceptedForTwoSided}"
            : worked == 0 || worked == accepted ? "the accepted offers all turned out alike"
            : null;
    }

    private static TreeModel TrainOne(IReadOnlyList<PairRow> rows, string? zip, string version, TrainingOptions options, float[] means)
    {
        var ml = new MLContext(options.Seed);
        var transformer = Train(ml, rows, options);
        if (zip is null) return ToTreeModel(version, transformer, means);
        ml.Model.Save(transformer, Load(ml, rows).Schema, zip);
        return ToTreeModel(version, ml.Model.Load(zip, out _), means);
    }

    /// <summary>Each feature's average over the training rows: the baseline of the explanations.</summary>
    public static float[] Means(IReadOnlyList<PairRow> rows)
    {
        var means = new float[PairFeatures.Count];
        foreach (var r in rows) for (var i = 0; i < means.Length; i++) means[i] += r.Features[i];
        for (var i = 0; i < means.Length; i++) means[i] /= Math.Max(1, rows.Count);
        return means;
    }
}
