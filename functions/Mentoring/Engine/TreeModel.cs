using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Matching.Mentoring.Engine;

/// <summary>
/// A trained tree ensemble as serving needs it: plain arrays, no ML.NET (which stays the training side, see
/// <see cref="MlNetTrees"/>). Thread-safe, allocation-free per pair, and equal in score to ML.NET's own prediction
/// (tests check it). The probability is ML.NET's Platt calibration of the raw score.
/// <para>Two walks over the same trees: <see cref="Raw"/>, the plain one, kept as the reference; and
/// <see cref="Score"/>, the fast one. For it every tree is laid out again in one contiguous array of nodes, breadth
/// first, each node's two children side by side (right = left + 1), and leaves made absorbing (a leaf's children are
/// itself), so that a tree is walked its depth in steps without a test. Features and thresholds are compared as
/// ordered integers, so a step is two loads, a compare that sets 0 or 1 and an add: no jump, no misprediction. Eight
/// rows go through a tree together, their independent walks overlapping in the core. A missing value (NaN) goes
/// right at every split, as in ML.NET: its key is above every threshold, and equal to the leaves'.</para>
/// <para>Two-sided (reciprocal) models carry a second ensemble, <see cref="Acceptance"/>: the chance that the mentor says
/// yes, learnt from accepts and declines apart from whether an accepted match works. The score is then the product of
/// the two probabilities, both walked on the same keys.</para>
/// </summary>
public sealed class TreeModel : IPairScorer
{
    /// <summary>One tree as ML.NET describes it: split i tests Feature[i] &lt;= Threshold[i]; a child below 0 is leaf ~child.</summary>
    public sealed record Tree(int[] Feature, float[] Threshold, int[] Left, int[] Right, double[] Leaf, double Weight);

    // A node of the fast walk is four ints (16 bytes): the byte offset of its feature in a row of keys, its threshold as an
    // ordered key, and its children as byte offsets from its tree's base: the left one, and right minus left. A
    // tree's splits sit at offsets 0, 16, 32 ... (breadth first), its leaves at -16, -32 ...: every row of a pass has
    // reached a leaf when all their offsets are negative. A leaf's children are itself (it absorbs further steps).
    private const int NodeBytes = 16;

    private const int Lanes = 8;
    private readonly Tree[] _trees;
    private readonly int[] _nodes;
    private readonly double[] _value;   // per node: the leaf's value times its tree's weight (0 on a split)
    private readonly int[] _base;       // per tree: the index of its first split (its leaves are just before)
    private readonly int[] _start;      // per tree: the offset the walk starts at (its root)
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
        var (nodes, value) = (new List<int>(), new List<double>());
        _base = new int[_trees.Length];
        _start = new int[_trees.Length];
        for (var t = 0; t < _trees.Length; t++)
        {
            var tree = _trees[t];
            var splits = tree.Left.Length;
            var leaves = tree.Leaf.Length;
            var first = value.Count;
            var treeBase = _base[t] = first + leaves;
            // Splits breadth first from the root, so that the first levels every row visits are close together.
            var order = new List<int>();
            if (splits > 0) order.Add(0);
            for (var i = 0; i < order.Count; i++)
                foreach (var child in new[] { tree.Left[order[i]], tree.Right[order[i]] })
                    if (child >= 0) order.Add(child);
            var position = new int[splits];
            for (var i = 0; i < order.Count; i++) position[order[i]] = i;
            int Offset(int child) => child >= 0 ? position[child] * NodeBytes : -(~child + 1) * NodeBytes; // leaf k at -(k+1) x 16
            var block = new int[(leaves + splits) * 4];
            var values = new double[leaves + splits];
            for (var k = 0; k < leaves; k++)
            {
                var at = leaves - 1 - k; // leaf k, offset -(k+1) x 16 from the base
                var self = -(k + 1) * NodeBytes;
                (block[at * 4], block[at * 4 + 1], block[at * 4 + 2], block[at * 4 + 3]) = (0, int.MaxValue, self, 0);
                values[at] = tree.Weight * tree.Leaf[k];
            }
            foreach (var split in order)
            {
                var at = leaves + position[split];
                var (left, right) = (Offset(tree.Left[split]), Offset(tree.Right[split]));
                (block[at * 4], block[at * 4 + 1], block[at * 4 + 2], block[at * 4 + 3]) = (tree.Feature[split] * sizeof(int), Key(tree.Threshold[split]), left, right - left);
            }
            _start[t] = splits > 0 ? 0 : -NodeBytes; // a tree without a split is its one leaf
            nodes.AddRange(block);
            value.AddRange(values);
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

    /// <summary>The mentor's side of a two-sided model: P(the mentor accepts an offer of this pair). Null for a one-sided model.</summary>
    public TreeModel? Acceptance { get; private init; }

    public TreeModel WithAcceptance(TreeModel acceptance) => new(Version, _trees, _bias, _slope, _offset, _baseline) { Acceptance = acceptance };

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

    /// <summary>The score as a probability: that the match works, times (two-sided) that the mentor accepts it.</summary>
    public double Probability(ReadOnlySpan<float> f) => Calibrate(Raw(f)) * (Acceptance?.Probability(f) ?? 1);

    private double Calibrate(double raw) => 1 / (1 + Math.Exp(_slope * raw + _offset)); // ML.NET PlattCalibrator

    /// <summary>Scores 0-100 for each row of <paramref name="features"/> (rows of <see cref="PairFeatures.Count"/>), by the fast walk.</summary>
    public void Score(ReadOnlySpan<float> features, Span<float> scores) => Score(features, scores, Acceptance);

    private void Score(ReadOnlySpan<float> features, Span<float> scores, TreeModel? acceptance)
    {
        const int width = PairFeatures.Count;
        Span<int> keys = stackalloc int[Lanes * width];
        Span<double> raw = stackalloc double[Lanes];
        Span<double> accept = stackalloc double[Lanes];
        for (var row = 0; row < scores.Length; row += Lanes)
        {
            var rows = Math.Min(Lanes, scores.Length - row);
            var block = features.Slice(row * width, rows * width);
            if (rows < Lanes) keys.Clear(); // a short last block walks rows of zeros, never read
            Keys(block, keys);
            WalkEight(keys, raw);
            if (acceptance is null)
                for (var i = 0; i < rows; i++) scores[row + i] = (float)(100 * Calibrate(raw[i]));
            else
            {
                acceptance.WalkEight(keys, accept);
                for (var i = 0; i < rows; i++) scores[row + i] = Both((float)(100 * Calibrate(raw[i])), (float)(100 * acceptance.Calibrate(accept[i])));
            }
        }
    }

    /// <summary>A two-sided score from its sides' scores (0-100 each). Never above the success score, even by a rounding
    /// (an acceptance that rounds to 100), so that the success score is a sure bound for the engine's shortcut.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Both(float success, float acceptance) => Math.Min(success, success * acceptance / 100f);

    /// <summary>Scores 0-100 by this ensemble alone: for a two-sided model, whether an accepted match works (the acceptance side left out).</summary>
    public void ScoreOwn(ReadOnlySpan<float> features, Span<float> scores) => Score(features, scores, null);

    /// <summary>The rows' features as ordered keys (<see cref="Key"/>), eight at a time where the CPU has the vectors.</summary>
    private static void Keys(ReadOnlySpan<float> from, Span<int> to)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + Vector256<int>.Count <= from.Length; i += Vector256<int>.Count)
            {
                var f = Vector256.Create(from.Slice(i, Vector256<int>.Count));
                var bits = f.AsInt32();
                var key = bits ^ ((bits >> 31) & Vector256.Create(int.MaxValue));                     // negatives flipped
                key = Vector256.ConditionalSelect(Vector256.Equals(bits, Vector256.Create(int.MinValue)), Vector256<int>.Zero, key); // -0 as +0
                key = Vector256.ConditionalSelect(Vector256.Equals(f, f).AsInt32(), key, Vector256.Create(int.MaxValue));           // NaN on top
                key.CopyTo(to.Slice(i, Vector256<int>.Count));
            }
        for (; i < from.Length; i++) to[i] = Key(from[i]);
    }

    /// <summary>Eight rows through every tree, together, until all eight have reached a leaf.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WalkEight(ReadOnlySpan<int> keys, Span<double> raw)
    {
        ref var x = ref Unsafe.As<int, byte>(ref MemoryMarshal.GetReference(keys));
        ref var allNodes = ref Unsafe.As<int, byte>(ref MemoryMarshal.GetArrayDataReference(_nodes));
        ref var allValues = ref MemoryMarshal.GetArrayDataReference(_value);
        double s0 = _bias, s1 = _bias, s2 = _bias, s3 = _bias, s4 = _bias, s5 = _bias, s6 = _bias, s7 = _bias;
        ref var bases = ref MemoryMarshal.GetArrayDataReference(_base);
        ref var starts = ref MemoryMarshal.GetArrayDataReference(_start);
        for (var t = 0; t < _base.Length; t++)
        {
            var treeBase = Unsafe.Add(ref bases, t);
            ref var nodes = ref Unsafe.AddByteOffset(ref allNodes, (nint)treeBase * NodeBytes);
            nint n0 = Unsafe.Add(ref starts, t), n1 = n0, n2 = n0, n3 = n0, n4 = n0, n5 = n0, n6 = n0, n7 = n0;
            while ((n0 & n1 & n2 & n3 & n4 & n5 & n6 & n7) >= 0) // some row is still at a split
            {
                n0 = Step(ref nodes, n0, ref x, 0 * PairFeatures.Count * sizeof(int)); n1 = Step(ref nodes, n1, ref x, 1 * PairFeatures.Count * sizeof(int));
                n2 = Step(ref nodes, n2, ref x, 2 * PairFeatures.Count * sizeof(int)); n3 = Step(ref nodes, n3, ref x, 3 * PairFeatures.Count * sizeof(int));
                n4 = Step(ref nodes, n4, ref x, 4 * PairFeatures.Count * sizeof(int)); n5 = Step(ref nodes, n5, ref x, 5 * PairFeatures.Count * sizeof(int));
                n6 = Step(ref nodes, n6, ref x, 6 * PairFeatures.Count * sizeof(int)); n7 = Step(ref nodes, n7, ref x, 7 * PairFeatures.Count * sizeof(int));
            }
            ref var values = ref Unsafe.Add(ref allValues, treeBase);
            s0 += Value(ref values, n0); s1 += Value(ref values, n1); s2 += Value(ref values, n2); s3 += Value(ref values, n3);
            s4 += Value(ref values, n4); s5 += Value(ref values, n5); s6 += Value(ref values, n6); s7 += Value(ref values, n7);
        }
        raw[0] = s0; raw[1] = s1; raw[2] = s2; raw[3] = s3; raw[4] = s4; raw[5] = s5; raw[6] = s6; raw[7] = s7;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Value(ref double values, nint node) => Unsafe.Add(ref values, node >> 4); // byte offset / NodeBytes

    /// <summary>One step, by byte offsets: to the left child, or (key above the threshold) the right one; no jump.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint Step(ref byte nodes, nint n, ref byte keys, nint lane)
    {
        ref var node = ref Unsafe.AddByteOffset(ref nodes, n);
        var key = Unsafe.As<byte, int>(ref Unsafe.AddByteOffset(ref keys, Unsafe.As<byte, int>(ref node) + lane));
        nint right = key > Unsafe.As<byte, int>(ref Unsafe.AddByteOffset(ref node, 4)) ? 1 : 0; // 0 or 1 from the flags: no jump
        return Unsafe.As<byte, int>(ref Unsafe.AddByteOffset(ref node, 8)) + right * Unsafe.As<byte, int>(ref Unsafe.AddByteOffset(ref node, 12));
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
