using System.Text;

namespace Matching.Notifications.Sms;

/// <summary>
/// SMS in the GSM-7 alphabet (3GPP TS 23.038): 160 characters in one segment, 153 per segment when longer; any other
/// character turns the whole message into UCS-2 (70, then 67 per segment), and cheap phones sometimes show it badly.
/// French mostly fits (é, è, à, ù, É and Ç are in it); the rest is written the nearest way (ê → e, ç → c, « » → ").
/// </summary>
public static class Gsm7
{
    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    /// <summary>Characters of the extension table: each takes two septets.</summary>
    private const string Extended = "^{}\\[~]|€\f";

    private static readonly Dictionary<char, string> Nearest = new()
    {
        ['ê'] = "e", ['ë'] = "e", ['â'] = "a", ['á'] = "a", ['î'] = "i", ['ï'] = "i", ['í'] = "i", ['ô'] = "o", ['ó'] = "o", ['û'] = "u", ['ú'] = "u",
        ['ç'] = "c", ['œ'] = "oe", ['Œ'] = "OE", ['æ'] = "ae", ['À'] = "A", ['Â'] = "A", ['È'] = "E", ['Ê'] = "E", ['Ë'] = "E", ['Î'] = "I", ['Ï'] = "I",
        ['Ô'] = "O", ['Ù'] = "U", ['Û'] = "U", ['ÿ'] = "y", ['’'] = "'", ['‘'] = "'", ['“'] = "\"", ['”'] = "\"", ['«'] = "\"", ['»'] = "\"",
        ['–'] = "-", ['—'] = "-", ['…'] = "...", ['\u00A0'] = " ", ['\u202F'] = " ", ['•'] = "-",
    };

    /// <summary>The text in GSM-7 only: the nearest letters where it has none, what has no near letter dropped.</summary>
    public static string Normalize(string text)
    {
        var b = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsSurrogate(c)) continue; // emoji and the like: nothing near in GSM-7
            if (Basic.Contains(c) || Extended.Contains(c)) b.Append(c);
            else if (Nearest.TryGetValue(c, out var near)) b.Append(near);
            else if (c.ToString().Normalize(NormalizationForm.FormD) is { Length: > 0 } d && (Basic.Contains(d[0]) || Extended.Contains(d[0]))) b.Append(d[0]);
        }
        return b.ToString();
    }

    public static bool IsGsm7(string text) => text.All(c => Basic.Contains(c) || Extended.Contains(c));

    /// <summary>Septets the text takes (an extension character takes two).</summary>
    public static int Septets(string text) => text.Sum(c => Extended.Contains(c) ? 2 : 1);

    /// <summary>How many SMS the text is sent as.</summary>
    public static int Segments(string text)
    {
        if (!IsGsm7(text)) return text.Length <= 70 ? 1 : (text.Length + 66) / 67;
        var septets = Septets(text);
        return septets <= 160 ? 1 : (septets + 152) / 153;
    }
}
