using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Matching.Engine;
using Matching.Training;
using Microsoft.ML;

namespace Matching.Benchmarks;

/// <summary>
/// The shipped model on the same 10,000 rows of the synthetic world, four ways side by side: ML.NET's
/// PredictionEngine (row by row) and batch Transform, the plain reference walk, and the fast walk (the vector walk
/// where the CPU has AVX-512) on one core and on every core, and the scalar fast walk that serves on other CPUs. Run: <c>-- scoring</c> (BenchmarkDotNet; pairs/s = 10,000 / mean).
/// </summary>
[Config(typeof(Settings))]
public class ScoringBenchmarks
{
    private sealed class Settings : ManualConfig
    {
        public Settings()
        {
            AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10).WithLaunchCount(1));
            Options |= ConfigOptions.DisableOptimizationsValidator;
        }
    }

    public const int Rows = 10_000;
    private float[] _block = [];
    private PairRow[] _rows = [];
    private float[] _scores = [];
    private TreeModel _model = null!;
    private MLContext _ml = null!;
    private ITransformer _transformer = null!;
    private PredictionEngine<PairRow, Prediction> _engine = null!;
    private IDataView _data = null!;

    public sealed class Prediction
    {
        public float Score { get; set; }
        public float Probability { get; set; }
    }

    [GlobalSetup]
    public void Setup()
    {
        var zip = Path.Combine(Path.GetDirectoryName(AppProcess.FindAppDll())!, "Mentoring", "Model", "matching-v3.zip");
        _model = Evaluation.LoadFile(zip).Model;
        var week = WeeklyTime.WeekStart(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));
        var random = new Random(21);
        var mentors = Enumerable.Range(0, 200).Select(i => new PreparedMentor(SyntheticData.Mentor(random, $"m{i}"), week)).ToList();
        var rows = new List<PairRow>();
        for (var l = 0; rows.Count < Rows; l++)
        {
            var profile = SyntheticData.Learner(random, $"l{l}");
            var (goals, text) = SyntheticData.Goals(random, profile);
            var request = new MatchRequest(profile, goals, text);
            var learner = new PreparedLearner(profile, week);
            foreach (var mentor in mentors.Take(100))
            {
                var row = new PairRow();
                PairFeatures.Compute(request, learner, mentor, row.Features);
                rows.Add(row);
            }
        }
        _rows = [.. rows.Take(Rows)];
        _block = _rows.SelectMany(r => r.Features).ToArray();
        _scores = new float[Rows];
        _ml = new MLContext();
        _transformer = _ml.Model.Load(zip, out _);
        _engine = _ml.Model.CreatePredictionEngine<PairRow, Prediction>(_transformer);
        _data = MlNetTrees.Load(_ml, _rows);
    }

    [Benchmark(Baseline = true, Description = "ML.NET PredictionEngine, one core")]
    public float MlNetEngine()
    {
        var sum = 0f;
        foreach (var row in _rows) sum += _engine.Predict(row).Probability;
        return sum;
    }

    [Benchmark(Description = "ML.NET batch Transform, one core")]
    public float MlNetBatch()
    {
        var sum = 0f;
        var scored = _transformer.Transform(_data);
        using var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == "Probability"));
        var getter = cursor.GetGetter<float>(scored.Schema["Probability"]);
        var p = 0f;
        while (cursor.MoveNext()) { getter(ref p); sum += p; }
        return sum;
    }

    [Benchmark(Description = "plain walk (reference), one core")]
    public float PlainWalk()
    {
        var sum = 0f;
        for (var i = 0; i < Rows; i++) sum += (float)_model.Probability(_block.AsSpan(i * PairFeatures.Count, PairFeatures.Count));
        return sum;
    }

    [Benchmark(Description = "fast walk, one core")]
    public float FastWalk()
    {
        _model.Score(_block, _scores);
        return _scores[^1];
    }

    [Benchmark(Description = "scalar fast walk (CPUs without AVX-512), one core")]
    public float ScalarWalk()
    {
        _model.ScoreScalar(_block, _scores);
        return _scores[^1];
    }

    [Benchmark(Description = "fast walk, every core")]
    public float FastWalkAllCores()
    {
        var parts = Environment.ProcessorCount;
        var size = (Rows + parts - 1) / parts;
        Parallel.For(0, parts, p =>
        {
            var start = p * size;
            var count = Math.Min(size, Rows - start);
            _model.Score(_block.AsSpan(start * PairFeatures.Count, count * PairFeatures.Count), _scores.AsSpan(start, count));
        });
        return _scores[^1];
    }
}
