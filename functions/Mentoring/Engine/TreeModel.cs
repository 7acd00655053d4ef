using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Matching.Mentoring.Engine;

/// <summary>
/// A trained tree ensemble as serving needs it: plain arrays, no ML.NET (which stays the training side, see
/// <see cref="MlNetTrees"/>). Thread-safe, allocation-free per pair, and equal in score to ML.NET's own prediction
/// (tests check it). The probability is ML.NET's Platt calibration of the raw score.
/// <para>Two walks over the same trees: <see cref="Raw"/>, the plain one, kept as the reference; and
/// <see cref="Score"/>, the fast one. For it every tree is laid out again in one contiguous array of nodes, breadth
/// first, each node's two children side by side (right = left + 1), and leaves made absorbing (a leaf's children are
/// itself), so that a tree is walked its depth in steps without a test. Features and thresholds are compared as
/// ordered integers, so a step is two loads, a compare that sets 0 or 1 and an add: no jump, no misprediction. Sixteen
/// rows go through a tree together, their independent walks overlapping in the core. A missing value (NaN) goes
/// right at every split, as in ML.NET: its key is above every threshold, and equal to the leaves'.</para>
/// </summary>
public sealed class TreeModel : IPairScorer
{
    /// <summary>One tree as ML.NET describes it: split i tests Feature[i] &lt;= Threshold[i]; a child below 0 is leaf ~child.</summary>
    public sealed record Tree(int[] Feature, float[] Threshold, int[] Left, int[] Right, double[] Leaf, double Weight);

    /// <summary>A node of the fast walk: the feature it reads, its threshold as an ordered key, its left child.</summary>
    private readonly record struct Node(int Feature, int Threshold, int Left);

    private const int Lanes = 16;
    private readonly Tree[] _trees;
    private readonly Node[] _nodes;
    private readonly double[] _value;   // per node: the leaf's value times its tree's weight (0 on a split)
    private readonly int[] _root;       // per tree: its first node
    private readonly int[] _depth;      // per tree: its longest path from root to leaf
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
        var (nodes, value) = (new List<Node>(), new List<double>());
        _root = new int[_trees.Length];
        _depth = new int[_trees.Length];
        for (var t = 0; t < _trees.Length; t++)
        {
            var tree = _trees[t];
            var root = _root[t] = nodes.Count;
            // Breadth first: a slot per node (an ML.NET split i, or a leaf ~k), a split's children in two new adjacent slots.
            var slots = new List<(int Node, int Depth)> { (tree.Left.Length > 0 ? 0 : ~0, 0) };
            for (var i = 0; i < slots.Count; i++)
            {
                var (node, depth) = slots[i];
                _depth[t] = Math.Max(_depth[t], depth);
                if (node >= 0)
                {
                    nodes.Add(new Node(tree.Feature[node], Key(tree.Threshold[node]), root + slots.Count));
                    value.Add(0);
                    slots.Add((tree.Left[node], depth + 1));
                    slots.Add((tree.Right[node], depth + 1));
                }
                else
                {
                    nodes.Add(new Node(0, int.MaxValue, root + i));
                    value.Add(tree.Weight * tree.Leaf[~node]);
                }
            }
        }
        (_nodes, _value) = ([.. nodes], [.. value]);
    }

    /// <summary>
    /// A float as an integer of the same order (a &lt;= b exactly when Key(a) &lt;= Key(b)), -0 as +0, and NaN
    /// above everything but equal to the leaves' key: a missing value goes right at a split and stays at a leaf.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Key(float f)
    {
        if (float.IsNaN(f)) return int.MaxValue;
        var bits = BitConverter.SingleToInt32Bits(f);
        return bits >= 0 ? bits : bits == int.MinValue ? 0 : bits ^ int.MaxValue;
    }

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
        Span<int> keys = stackalloc int[Lanes * width];
        Span<double> raw = stackalloc double[Lanes];
        for (var row = 0; row < scores.Length; row += Lanes)
        {
            var rows = Math.Min(Lanes, scores.Length - row);
            var block = features.Slice(row * width, rows * width);
            for (var i = 0; i < block.Length; i++) keys[i] = Key(block[i]);
            keys[block.Length..].Clear(); // a short last block walks rows of zeros, never read
            WalkSixteen(keys, raw);
            for (var i = 0; i < rows; i++) scores[row + i] = (float)(100 * Calibrate(raw[i]));
        }
    }

    /// <summary>Sixteen rows through every tree: sixteen independent walks of a fixed number of steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WalkSixteen(ReadOnlySpan<int> keys, Span<double> raw)
    {
        const int w = PairFeatures.Count;
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        ref var value = ref MemoryMarshal.GetArrayDataReference(_value);
        ref var x = ref MemoryMarshal.GetReference(keys);
        raw.Fill(_bias);
        for (var t = 0; t < _root.Length; t++)
        {
            int n0 = _root[t], n1 = n0, n2 = n0, n3 = n0, n4 = n0, n5 = n0, n6 = n0, n7 = n0;
            int n8 = n0, n9 = n0, n10 = n0, n11 = n0, n12 = n0, n13 = n0, n14 = n0, n15 = n0;
            for (var d = _depth[t]; d > 0; d--)
            {
                n0 = Step(ref nodes, n0, ref x, 0 * w); n1 = Step(ref nodes, n1, ref x, 1 * w);
                n2 = Step(ref nodes, n2, ref x, 2 * w); n3 = Step(ref nodes, n3, ref x, 3 * w);
                n4 = Step(ref nodes, n4, ref x, 4 * w); n5 = Step(ref nodes, n5, ref x, 5 * w);
                n6 = Step(ref nodes, n6, ref x, 6 * w); n7 = Step(ref nodes, n7, ref x, 7 * w);
                n8 = Step(ref nodes, n8, ref x, 8 * w); n9 = Step(ref nodes, n9, ref x, 9 * w);
                n10 = Step(ref nodes, n10, ref x, 10 * w); n11 = Step(ref nodes, n11, ref x, 11 * w);
                n12 = Step(ref nodes, n12, ref x, 12 * w); n13 = Step(ref nodes, n13, ref x, 13 * w);
                n14 = Step(ref nodes, n14, ref x, 14 * w); n15 = Step(ref nodes, n15, ref x, 15 * w);
            }
            raw[0] += Unsafe.Add(ref value, n0); raw[1] += Unsafe.Add(ref value, n1); raw[2] += Unsafe.Add(ref value, n2); raw[3] += Unsafe.Add(ref value, n3);
            raw[4] += Unsafe.Add(ref value, n4); raw[5] += Unsafe.Add(ref value, n5); raw[6] += Unsafe.Add(ref value, n6); raw[7] += Unsafe.Add(ref value, n7);
            raw[8] += Unsafe.Add(ref value, n8); raw[9] += Unsafe.Add(ref value, n9); raw[10] += Unsafe.Add(ref value, n10); raw[11] += Unsafe.Add(ref value, n11);
            raw[12] += Unsafe.Add(ref value, n12); raw[13] += Unsafe.Add(ref value, n13); raw[14] += Unsafe.Add(ref value, n14); raw[15] += Unsafe.Add(ref value, n15);
        }
    }

    /// <summary>One step: to the left child, or (key above the threshold) the one beside it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Step(ref Node nodes, int n, ref int row, int rowStart)
    {
        ref readonly var node = ref Unsafe.Add(ref nodes, n);
        return node.Left + (Unsafe.Add(ref row, rowStart + node.Feature) > node.Threshold ? 1 : 0);
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
