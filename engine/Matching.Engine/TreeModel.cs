using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Matching.Engine;

/// <summary>
/// A trained tree ensemble as serving needs it: plain arrays, no ML.NET (which stays the training side, see
/// <see cref="MlNetTrees"/>). Thread-safe, allocation-free per pair, and equal in score to ML.NET's own prediction
/// (tests check it). The probability is ML.NET's Platt calibration of the raw score.
/// <para>Three walks over the same trees, equal bit for bit (tests check it): <see cref="Raw"/>, the plain one, kept as
/// the reference; and two fast ones behind <see cref="Score"/>. Both compare features and thresholds as ordered
/// integers (keys) and never jump on a comparison. A missing value (NaN) goes right at every split, as in ML.NET: its
/// key is above every threshold.</para>
/// <para>The scalar fast walk lays every tree out again in one contiguous array of 16-byte nodes, splits breadth first,
/// leaves made absorbing (a leaf's children are itself). A step is a compare that sets 0 or 1 and a multiply-add;
/// eight rows go through a tree together, their independent walks overlapping in the core, until all eight are at a
/// leaf.</para>
/// <para>The vector walk (CPUs with AVX-512, trees of at most 31 splits) keeps a tree's nodes in vector registers: a
/// step reads sixteen rows' nodes with permutes, their keys with gathers, and moves the rows still at a split with a
/// masked select. Four groups of sixteen go together. Measured against the scalar walk in docs/benchmarks.md.</para>
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

    private const int Lanes = 64; // rows per block: the vector walk's four groups of 16, or the scalar walk's eight at a time
    private readonly Tree[] _trees;
    private readonly int[] _nodes;
    private readonly double[] _value;   // per node: the leaf's value times its tree's weight (0 on a split)
    private readonly int[] _base;       // per tree: the index of its first split (its leaves are just before)
    private readonly int[] _start;      // per tree: the offset the walk starts at (its root)
    private readonly double _bias;
    private readonly double _slope;
    private readonly double _offset;
    private readonly float[] _baseline;

    // The vector walk's layout (AVX-512, trees of at most 31 splits): per tree 96 ints, in three tables of 32 that a
    // permute reads by node: the feature, the threshold key, and the children (left | right << 16; a split is its
    // breadth-first position, leaf k is 32 + k); and 32 leaf values.
    private const int TableInts = 96, LeafMark = 32;
    private readonly int[]? _tables;
    private readonly double[]? _leafValues;

    /// <summary>Whether this CPU runs the vector walk (AVX-512 permutes, AVX2 gathers); elsewhere the scalar fast walk serves.</summary>
    public static bool VectorHardware { get; } = Avx512F.IsSupported && Avx2.IsSupported;

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
            var (order, position) = BreadthFirst(tree);
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
        if (_trees.All(t => t.Left.Length < LeafMark))
        {
            _tables = new int[_trees.Length * TableInts];
            _leafValues = new double[_trees.Length * LeafMark];
            for (var t = 0; t < _trees.Length; t++)
            {
                var tree = _trees[t];
                var (order, position) = BreadthFirst(tree);
                int Code(int child) => child >= 0 ? position[child] : LeafMark + ~child;
                var table = _tables.AsSpan(t * TableInts, TableInts);
                for (var i = 0; i < order.Count; i++)
                {
                    var split = order[i];
                    table[i] = tree.Feature[split];
                    table[LeafMark + i] = Key(tree.Threshold[split]);
                    table[2 * LeafMark + i] = Code(tree.Left[split]) | Code(tree.Right[split]) << 16;
                }
                for (var k = 0; k < tree.Leaf.Length; k++) _leafValues[t * LeafMark + k] = tree.Weight * tree.Leaf[k];
            }
        }
    }

    /// <summary>
    /// A tree's splits breadth first from the root (so that the first levels every row visits are close together), and
    /// each split's place in that order: both walks lay their nodes out this way.
    /// </summary>
    private static (List<int> Order, int[] Position) BreadthFirst(Tree tree)
    {
        var order = new List<int>();
        if (tree.Left.Length > 0) order.Add(0);
        for (var i = 0; i < order.Count; i++)
            foreach (var child in new[] { tree.Left[order[i]], tree.Right[order[i]] })
                if (child >= 0) order.Add(child);
        var position = new int[tree.Left.Length];
        for (var i = 0; i < order.Count; i++) position[order[i]] = i;
        return (order, position);
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
    public void Score(ReadOnlySpan<float> features, Span<float> scores) => Score(features, scores, Acceptance, VectorHardware);

    /// <summary>The same scores by the scalar fast walk, even where the vector walk runs: for tests and benchmarks.</summary>
    internal void ScoreScalar(ReadOnlySpan<float> features, Span<float> scores) => Score(features, scores, Acceptance, vector: false);

    private void Score(ReadOnlySpan<float> features, Span<float> scores, TreeModel? acceptance, bool vector)
    {
        const int width = PairFeatures.Count;
        Span<int> keys = stackalloc int[Lanes * width];
        Span<double> raw = stackalloc double[Lanes];
        Span<double> accept = stackalloc double[Lanes];
        for (var row = 0; row < scores.Length; row += Lanes)
        {
            var rows = Math.Min(Lanes, scores.Length - row);
            var block = features.Slice(row * width, rows * width);
            Keys(block, keys);
            // A short block is walked up to the vector walk's 64 rows or the next eight: those extra rows are zeros, never read.
            keys[(rows * width)..((rows > Lanes / 2 ? Lanes : (rows + 7) & ~7) * width)].Clear();
            Walk(keys, raw, rows, vector);
            if (acceptance is null)
                for (var i = 0; i < rows; i++) scores[row + i] = (float)(100 * Calibrate(raw[i]));
            else
            {
                acceptance.Walk(keys, accept, rows, vector);
                for (var i = 0; i < rows; i++) scores[row + i] = Both((float)(100 * Calibrate(raw[i])), (float)(100 * acceptance.Calibrate(accept[i])));
            }
        }
    }

    /// <summary>A block's rows through every tree: 64 at a time in vector registers where the CPU and the trees allow it
    /// and the block is large enough to pay, else eight at a time by the scalar walk.</summary>
    private void Walk(ReadOnlySpan<int> keys, Span<double> raw, int rows, bool vector)
    {
        if (vector && _tables is not null && rows > Lanes / 2) WalkVector(keys, raw);
        else for (var i = 0; i < rows; i += 8) WalkEight(keys[(i * PairFeatures.Count)..], raw[i..]);
    }

    /// <summary>
    /// Rows through every tree in vector registers, in groups of sixteen whose steps overlap in the core: each step
    /// reads the nodes' feature, threshold and children with permutes from the tree's tables (no memory access by node),
    /// the rows' keys with gathers, and moves the rows still at a split. A row at a leaf stays there. The leaves' values
    /// are added in tree order, as the plain walk does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void WalkVector(ReadOnlySpan<int> keys, Span<double> raw)
    {
        var mark = Vector512.Create(LeafMark);
        var rowStart = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) * PairFeatures.Count;
        const int group = 16 * PairFeatures.Count;
        var bias = Vector256.Create(_bias);
        Vector256<double> a0 = bias, a1 = bias, a2 = bias, a3 = bias, b0 = bias, b1 = bias, b2 = bias, b3 = bias;
        Vector256<double> c0 = bias, c1 = bias, c2 = bias, c3 = bias, d0 = bias, d1 = bias, d2 = bias, d3 = bias;
        fixed (int* x = keys)
        fixed (int* tables = _tables)
        fixed (double* leaves = _leafValues)
        {
            int* xa = x, xb = x + group, xc = x + 2 * group, xd = x + 3 * group;
            for (var t = 0; t < _trees.Length; t++)
            {
                var table = tables + t * TableInts;
                var (f0, f1) = (Vector512.Load(table), Vector512.Load(table + 16));
                var (h0, h1) = (Vector512.Load(table + 32), Vector512.Load(table + 48));
                var (k0, k1) = (Vector512.Load(table + 64), Vector512.Load(table + 80));
                var at = _trees[t].Left.Length > 0 ? Vector512<int>.Zero : mark;
                var (bt, ct, dt) = (at, at, at);
                while (Vector512.LessThanAny(Vector512.Min(Vector512.Min(at, bt), Vector512.Min(ct, dt)), mark))
                {
                    at = Step(at, xa, rowStart, mark, f0, f1, h0, h1, k0, k1);
                    bt = Step(bt, xb, rowStart, mark, f0, f1, h0, h1, k0, k1);
                    ct = Step(ct, xc, rowStart, mark, f0, f1, h0, h1, k0, k1);
                    dt = Step(dt, xd, rowStart, mark, f0, f1, h0, h1, k0, k1);
                }
                var values = leaves + t * LeafMark;
                Add(values, at - mark, ref a0, ref a1, ref a2, ref a3);
                Add(values, bt - mark, ref b0, ref b1, ref b2, ref b3);
                Add(values, ct - mark, ref c0, ref c1, ref c2, ref c3);
                Add(values, dt - mark, ref d0, ref d1, ref d2, ref d3);
            }
        }
        a0.CopyTo(raw); a1.CopyTo(raw[4..]); a2.CopyTo(raw[8..]); a3.CopyTo(raw[12..]);
        b0.CopyTo(raw[16..]); b1.CopyTo(raw[20..]); b2.CopyTo(raw[24..]); b3.CopyTo(raw[28..]);
        c0.CopyTo(raw[32..]); c1.CopyTo(raw[36..]); c2.CopyTo(raw[40..]); c3.CopyTo(raw[44..]);
        d0.CopyTo(raw[48..]); d1.CopyTo(raw[52..]); d2.CopyTo(raw[56..]); d3.CopyTo(raw[60..]);
    }

    /// <summary>One step of sixteen rows: those at a split move to the left child, or (key above the threshold) the right one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<int> Step(Vector512<int> at, int* x, Vector512<int> rowStart, Vector512<int> mark,
        Vector512<int> f0, Vector512<int> f1, Vector512<int> h0, Vector512<int> h1, Vector512<int> k0, Vector512<int> k1)
    {
        var index = rowStart + Avx512F.PermuteVar16x32x2(f0, at, f1);
        var key = Vector512.Create(Avx2.GatherVector256(x, index.GetLower(), 4), Avx2.GatherVector256(x, index.GetUpper(), 4));
        var right = Vector512.GreaterThan(key, Avx512F.PermuteVar16x32x2(h0, at, h1));
        var children = Avx512F.PermuteVar16x32x2(k0, at, k1).AsUInt32();
        var next = Avx512F.ShiftRightLogicalVariable(children, (right & Vector512.Create(16)).AsUInt32()).AsInt32() & Vector512.Create(0xFFFF);
        return Vector512.ConditionalSelect(Vector512.LessThan(at, mark), next, at);
    }

    /// <summary>Adds each of sixteen rows' leaf value (leaf index per row) to its sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Add(double* values, Vector512<int> leaf, ref Vector256<double> s0, ref Vector256<double> s1, ref Vector256<double> s2, ref Vector256<double> s3)
    {
        s0 += Avx2.GatherVector256(values, leaf.GetLower().GetLower(), 8);
        s1 += Avx2.GatherVector256(values, leaf.GetLower().GetUpper(), 8);
        s2 += Avx2.GatherVector256(values, leaf.GetUpper().GetLower(), 8);
        s3 += Avx2.GatherVector256(values, leaf.GetUpper().GetUpper(), 8);
    }

    /// <summary>A two-sided score from its sides' scores (0-100 each). Never above the success score, even by a rounding
    /// (an acceptance that rounds to 100), so that the success score is a sure bound for the engine's shortcut.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Both(float success, float acceptance) => Math.Min(success, success * acceptance / 100f);

    /// <summary>Scores 0-100 by this ensemble alone: for a two-sided model, whether an accepted match works (the acceptance side left out).</summary>
    public void ScoreOwn(ReadOnlySpan<float> features, Span<float> scores) => Score(features, scores, null, VectorHardware);

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
