using System.Text;

namespace Matching.Engine;

/// <summary>A bag of words (accents folded, stop words out) for a cosine similarity between goals and a bio.</summary>
public sealed class TextVector
{
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the","and","for","with","a","an","of","to","in","on","my","i","me","is","are","be","or","at","as","by","it","this","that","want","would","like",
        "le","la","les","de","des","du","et","un","une","en","pour","avec","dans","sur","je","mon","ma","mes","au","aux","a","est","veux","voudrais","qui","que",
    };

    // Tokens are compared as small integers: a pair's cosine then hashes ints, not strings (it runs for every
    // candidate pair). The ids are the process's own and grow with the vocabulary seen.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> TokenIds = new(StringComparer.Ordinal);
    private static int _lastId;

    private readonly int[] _ids;          // ascending, so that a cosine is one merge of two sorted lists, no hashing
    private readonly double[] _weights;   // in the order of _ids
    private readonly double _norm;

    private TextVector(Dictionary<string, double> weights)
    {
        _ids = weights.Keys.Select(t => TokenIds.GetOrAdd(t, _ => Interlocked.Increment(ref _lastId))).ToArray(); // unique even when two threads add
        _weights = [.. weights.Values];
        _norm = Math.Sqrt(weights.Values.Sum(w => w * w));
        Array.Sort(_ids, _weights);
    }

    public static TextVector Empty { get; } = new([]);

    public static TextVector From(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Empty;
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var token in Tokens(text))
            weights[token] = weights.GetValueOrDefault(token) + 1;
        return new TextVector(weights);
    }

    /// <summary>
    /// Free text as pseudonymous tokens: each word as <see cref="Tokens"/> reads it becomes <paramref name="token"/>'s
    /// six-character code, once per occurrence, so that a vector of the result has the same cosine to any other vector
    /// so coded as the original had, and equal texts stay equal; no word of the text is left. A text with no word that
    /// counts ("IT") becomes one code of the whole text, so that two such texts are still told apart.
    /// </summary>
    public static string? Pseudonymised(string? text, Func<string, string> token)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var codes = Tokens(text).Select(token).ToList();
        if (codes.Count == 0) codes.Add(token("=" + text.Trim().ToLowerInvariant()));
        return string.Join(' ', codes);
    }

    public static IEnumerable<string> Tokens(string text)
    {
        var folded = new StringBuilder(text.Length);
        // The app runs with invariant globalization (no ICU, so no Unicode normalization): fold accents by table.
        foreach (var c in text)
            folded.Append(char.IsLetterOrDigit(c) ? TextFolding.Fold(char.ToLowerInvariant(c)) : " "); // "d'embauche" is "d embauche"
        foreach (var token in folded.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (token.Length < 3 || StopWords.Contains(token)) continue;
            // A crude stem so that "developer" and "development" meet.
            yield return token.Length > 6 ? token[..6] : token;
        }
    }


    public double Cosine(TextVector other)
    {
        if (_norm == 0 || other._norm == 0) return 0;
        var (small, large) = _ids.Length <= other._ids.Length ? (this, other) : (other, this);
        double dot = 0;
        var (a, b) = (small._ids, large._ids);
        for (int i = 0, j = 0; i < a.Length && j < b.Length;)
        {
            if (a[i] == b[j]) dot += small._weights[i++] * large._weights[j++];
            else if (a[i] < b[j]) i++;
            else j++;
        }
        return dot / (_norm * other._norm);
    }
}
