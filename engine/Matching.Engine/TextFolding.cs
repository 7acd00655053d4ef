namespace Matching.Engine;

/// <summary>
/// Accents folded by table: the app runs with invariant globalization (no ICU, so no Unicode normalization). One rule
/// for the matching's words and the staff's name search.
/// </summary>
public static class TextFolding
{
    public static string Fold(char c) => c switch
    {
        'à' or 'â' or 'ä' or 'á' or 'ã' or 'å' => "a",
        'ç' => "c",
        'è' or 'é' or 'ê' or 'ë' => "e",
        'ì' or 'í' or 'î' or 'ï' => "i",
        'ñ' => "n",
        'ò' or 'ó' or 'ô' or 'ö' or 'õ' => "o",
        'ù' or 'ú' or 'û' or 'ü' => "u",
        'ý' or 'ÿ' => "y",
        'œ' => "oe",
        'æ' => "ae",
        _ => c.ToString(),
    };

    /// <summary>Lower case with accents folded: "AMÍNA", "amína" and "Amina" are one.</summary>
    public static string Folded(string text)
    {
        var folded = new System.Text.StringBuilder(text.Length);
        foreach (var c in text.Trim()) folded.Append(Fold(char.ToLowerInvariant(c)));
        return folded.ToString();
    }
}
