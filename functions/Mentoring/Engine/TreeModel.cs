using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Matching.Mentoring.Engine;

/// <summary>
/// A trained tree ensemble as serving needs it: plain arrays, no ML.NET (which stays the training side, see
/// <see cref="MlNetTrees"/>). Thread-safe, allocation-free per pair, and equal in score to ML.NET's own prediction
/// (tests check it). The probability is ML.NET's Platt calibration of the raw score.
/// <para>Two walks over the same trees: <see cref="Raw"/>, the plain one, kept as the reference; and
/// <see cref="Score"/>, the fast one: every tree in one contiguous node array in depth order, leaves made
/// absorbing (a leaf's children are itself) so that a tree is walked a fixed number of steps with a select
/// instead of a jump, eight rows interleaved per pass so that their independent walks overlap in the core.</para>
/// </summary>
public sealed class TreeModel : IPairScorer
{
    /// <summary>One tree as ML.NET describes it: split i tests Feature[i] &lt;= Threshold[i]; a child below 0 is leaf ~child.</summary>
    public sealed record Tree(int[] Feature, float[] Threshold, int[] Left, int[] Right, double[] Leaf, double Weight);

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Node(int Feature, float Threshold, int Left, int Right);

    private const int Lanes = 8;
    private readonly Tree[] _trees;
    private readonly Node[] _nodes;     // all trees, one after another
    private readonly double[] _value;   // per node: the leaf's value times its tree's weight (0 on a split)
    private readonly int[] _root;       // per tree: its first node
    private readonly int[] _depth;      // per tree: the longest path from its root to a leaf
    private readonly double _bias;
    private readonly double _slope;
    private readonly double _offset;
    private readonly float[] _baseline;

    public TreeModel(string version, IReadOnlyList<Tree> trees, double bias, double slope, double offset, float[] baseline)
    {
        Version = version;
        _trees = [.. trees];
        _bias = bias;
        _slope = slope;
        _offset = offset;
        _baseline = baseline;
        var nodes = new List<Node>();
        var values = new List<double>();
        _root = new int[_trees.Length];
        _depth = new int[_trees.Length];
        for (var t = 0; t < _trees.Length; t++)
        {
            var tree = _trees[t];
            var start = nodes.Count;
            var splits = tree.Left.Length;
            int Global(int child) => child >= 0 ? start + child : start + splits + ~child;
            for (var i = 0; i < splits; i++)
            {
                nodes.Add(new Node(tree.Feature[i], tree.Threshold[i], Global(tree.Left[i]), Global(tree.Right[i])));
                values.Add(0);
            }
            for (var leaf = 0; leaf < tree.Leaf.Length; leaf++)
            {
                var self = start + splits + leaf;
                nodes.Add(new Node(0, float.NaN, self, self)); // NaN: the comparison is false, the walk stays here
                values.Add(tree.Weight * tree.Leaf[leaf]);
            }
            _root[t] = start;
            _depth[t] = splits == 0 ? 0 : Depth(tree, 0);
        }
        _nodes = [.. nodes];
        _value = [.. values];
    }

    private static int Depth(Tree tree, int node) =>
        1 + Math.Max(tree.Left[node] >= 0 ? Depth(tree, tree.Left[node]) : 0, tree.Right[node] >= 0 ? Depth(tree, tree.Right[node]) : 0);

    public string Version { get; }
    public string Name => $"ml-{Version}";
    public int Trees => _trees.Length;
    public IReadOnlyList<Tree> TreeList => _trees;
    public double Bias => _bias;
    public double Slope => _slope;
    public double Offset => _offset;
    public IReadOnlyList<float> Baseline => _baseline;

    /// <summary>The ensemble's raw output (the sum of the trees' leaves), by the plain walk: the reference.</summary>
    public double Raw(ReadOnlySpan<float> f)
    {
        var sum = _bias;
        foreach (var tree in _trees)
        {
            var node = 0;
            if (tree.Left.Length > 0)
                while (node >= 0) node = f[tree.Feature[node]] <= tree.Threshold[node] ? tree.Left[node] : tree.Right[node];
            sum += tree.Weight * tree.Leaf[tree.Left.Length > 0 ? ~node : 0];
        }
        return sum;
    }

    public double Probability(ReadOnlySpan<float> f) => Calibrate(Raw(f));

    private double Calibrate(double raw) => 1 / (1 + Math.Exp(_slope * raw + _offset)); // ML.NET PlattCalibrator

    /// <summary>Scores 0-100 for each row of <paramref name="features"/> (rows of <see cref="PairFeatures.Count"/>), by the fast walk.</summary>
    public void Score(ReadOnlySpan<float> features, Span<float> scores)
    {
        const int width = PairFeatures.Count;
        Span<double> raw = stackalloc double[Lanes];
        var row = 0;
        for (; row + Lanes <= scores.Length; row += Lanes)
        {
            WalkEight(features.Slice(row * width, Lanes * width), raw);
            for (var i = 0; i < Lanes; i++) scores[row + i] = (float)(100 * Calibrate(raw[i]));
        }
        for (; row < scores.Length; row++) scores[row] = (float)(100 * Calibrate(WalkOne(features.Slice(row * width, width))));
    }

    /// <summary>Eight rows through every tree: eight independent walks, each step a select.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WalkEight(ReadOnlySpan<float> f, Span<double> raw)
    {
        const int w = PairFeatures.Count;
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        ref var value = ref MemoryMarshal.GetArrayDataReference(_value);
        ref var x = ref MemoryMarshal.GetReference(f);
        double s0 = _bias, s1 = _bias, s2 = _bias, s3 = _bias, s4 = _bias, s5 = _bias, s6 = _bias, s7 = _bias;
        for (var t = 0; t < _root.Length; t++)
        {
            int n0 = _root[t], n1 = n0, n2 = n0, n3 = n0, n4 = n0, n5 = n0, n6 = n0, n7 = n0;
            for (var d = _depth[t]; d > 0; d--)
            {
                n0 = Step(ref nodes, n0, ref x, 0 * w);
                n1 = Step(ref nodes, n1, ref x, 1 * w);
                n2 = Step(ref nodes, n2, ref x, 2 * w);
                n3 = Step(ref nodes, n3, ref x, 3 * w);
                n4 = Step(ref nodes, n4, ref x, 4 * w);
                n5 = Step(ref nodes, n5, ref x, 5 * w);
                n6 = Step(ref nodes, n6, ref x, 6 * w);
                n7 = Step(ref nodes, n7, ref x, 7 * w);
            }
            s0 += Unsafe.Add(ref value, n0); s1 += Unsafe.Add(ref value, n1); s2 += Unsafe.Add(ref value, n2); s3 += Unsafe.Add(ref value, n3);
            s4 += Unsafe.Add(ref value, n4); s5 += Unsafe.Add(ref value, n5); s6 += Unsafe.Add(ref value, n6); s7 += Unsafe.Add(ref value, n7);
        }
        raw[0] = s0; raw[1] = s1; raw[2] = s2; raw[3] = s3; raw[4] = s4; raw[5] = s5; raw[6] = s6; raw[7] = s7;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Step(ref Node nodes, int n, ref float row, int rowStart)
    {
        ref readonly var node = ref Unsafe.Add(ref nodes, n);
        // Both children are loaded; the comparison picks one without a jump (a conditional move).
        int left = node.Left, right = node.Right;
        return Unsafe.Add(ref row, rowStart + node.Feature) <= node.Threshold ? left : right;
    }

    private double WalkOne(ReadOnlySpan<float> f)
    {
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        ref var x = ref MemoryMarshal.GetReference(f);
        var sum = _bias;
        for (var t = 0; t < _root.Length; t++)
        {
            var n = _root[t];
            for (var d = _depth[t]; d > 0; d--) n = Step(ref nodes, n, ref x, 0);
            sum += _value[n];
        }
        return sum;
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
}
