using System.Security.Cryptography;
using System.Text;

namespace Matching.Engine;

/// <summary>
/// The file serving reads (<c>{version}.flat</c>, beside the ML.NET zip that stays the record of the training run):
/// the trees, the calibration and the explanation baseline, little-endian, then a SHA-256 of everything before it.
/// Format 2 adds the mentor's side of a two-sided model (its trees and calibration) after the first ensemble; format 1
/// files (one-sided) are still read.
/// Refused with a clear error when the checksum, the format or the feature schema differs from this build's.
/// </summary>
public static class FlatModelFile
{
    public const string Extension = ".flat";
    private const uint Magic = 0x544C464D; // "MFLT"
    private const int FormatVersion = 2;

    /// <summary>The features this build computes, in order: a model trained on others cannot be served.</summary>
    public static string Schema => string.Join(',', PairFeatures.Names);

    public static string PathBeside(string zipPath) => Path.ChangeExtension(zipPath, Extension);

    /// <summary>The ML.NET record of a two-sided model's acceptance side, beside its zip.</summary>
    public static string AcceptanceZipBeside(string zipPath) => Path.ChangeExtension(zipPath, ".accept.zip");

    /// <summary>Reads the flat file beside a model zip (or at the path given): what serving does, with no ML.NET and no report.</summary>
    public static TreeModel ReadFile(string path)
    {
        var flat = PathBeside(path);
        if (!File.Exists(flat)) throw new InvalidDataException($"No {Path.GetFileName(flat)} beside the model: write it with `flatten --model {path}`.");
        return Read(File.ReadAllBytes(flat), flat);
    }

    public static byte[] Write(TreeModel model)
    {
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(Schema);
            w.Write(model.Version);
            w.Write(model.Baseline.Count);
            foreach (var b in model.Baseline) w.Write(b);
            WriteEnsemble(w, model);
            w.Write(model.Acceptance is not null);
            if (model.Acceptance is { } acceptance) WriteEnsemble(w, acceptance);
        }
        var bytes = body.ToArray();
        return [.. bytes, .. SHA256.HashData(bytes)];
    }

    private static void WriteEnsemble(BinaryWriter w, TreeModel model)
    {
        w.Write(model.Bias);
        w.Write(model.Slope);
        w.Write(model.Offset);
        w.Write(model.Trees);
        foreach (var tree in model.TreeList)
        {
            w.Write(tree.Weight);
            w.Write(tree.Left.Length);
            for (var i = 0; i < tree.Left.Length; i++)
            {
                w.Write(tree.Feature[i]);
                w.Write(tree.Threshold[i]);
                w.Write(tree.Left[i]);
                w.Write(tree.Right[i]);
            }
            w.Write(tree.Leaf.Length);
            foreach (var leaf in tree.Leaf) w.Write(leaf);
        }
    }

    public static TreeModel Read(ReadOnlySpan<byte> file, string source)
    {
        const int hash = 32;
        if (file.Length < hash + 8 || !SHA256.HashData(file[..^hash]).AsSpan().SequenceEqual(file[^hash..]))
            throw new InvalidDataException($"{source}: the checksum does not match (a truncated or altered model file).");
        using var r = new BinaryReader(new MemoryStream(file[..^hash].ToArray()), Encoding.UTF8);
        if (r.ReadUInt32() != Magic) throw new InvalidDataException($"{source}: not a flat model file.");
        if (r.ReadInt32() is var format && format is not (1 or FormatVersion)) throw new InvalidDataException($"{source}: flat model format {format}, this build reads 1 to {FormatVersion}.");
        var schema = r.ReadString();
        if (schema != Schema)
            throw new InvalidDataException($"{source}: the model was trained on the features [{schema}], this build computes [{Schema}]. Train it again.");
        var version = r.ReadString();
        if (format == 1)
        {
            var (bias1, slope1, offset1) = (r.ReadDouble(), r.ReadDouble(), r.ReadDouble());
            return ReadTrees(r, source, version, bias1, slope1, offset1, ReadBaseline(r));
        }
        var baseline = ReadBaseline(r);
        var model = ReadEnsemble(r, source, version, baseline);
        return r.ReadBoolean() ? model.WithAcceptance(ReadEnsemble(r, source, version, baseline)) : model;
    }

    private static float[] ReadBaseline(BinaryReader r)
    {
        var baseline = new float[r.ReadInt32()];
        for (var i = 0; i < baseline.Length; i++) baseline[i] = r.ReadSingle();
        return baseline;
    }

    private static TreeModel ReadEnsemble(BinaryReader r, string source, string version, float[] baseline) =>
        ReadTrees(r, source, version, r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), baseline);

    private static TreeModel ReadTrees(BinaryReader r, string source, string version, double bias, double slope, double offset, float[] baseline)
    {
        var trees = new TreeModel.Tree[r.ReadInt32()];
        for (var t = 0; t < trees.Length; t++)
        {
            var weight = r.ReadDouble();
            var splits = r.ReadInt32();
            var (feature, threshold, left, right) = (new int[splits], new float[splits], new int[splits], new int[splits]);
            for (var i = 0; i < splits; i++)
            {
                feature[i] = r.ReadInt32();
                threshold[i] = r.ReadSingle();
                left[i] = r.ReadInt32();
                right[i] = r.ReadInt32();
                if ((uint)feature[i] >= PairFeatures.Count || left[i] >= splits || right[i] >= splits)
                    throw new InvalidDataException($"{source}: tree {t} refers to a feature or a node that does not exist.");
            }
            var leaves = new double[r.ReadInt32()];
            for (var i = 0; i < leaves.Length; i++) leaves[i] = r.ReadDouble();
            if (leaves.Length != splits + 1 || left.Concat(right).Any(c => c < 0 && ~c >= leaves.Length))
                throw new InvalidDataException($"{source}: tree {t} has {splits} splits and {leaves.Length} leaves.");
            trees[t] = new TreeModel.Tree(feature, threshold, left, right, leaves, weight);
        }
        return new TreeModel(version, trees, bias, slope, offset, baseline);
    }
}
