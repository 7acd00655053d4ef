using Matching.Engine;

namespace Matching.Offers;

/// <summary>
/// A provider writes an offer's topics and target groups in its own words, often in English (issue 29: a French
/// reader saw "French as a foreign language" and "refugees" in a French listing). Where those words are a known label
/// in any language the service speaks (or a topic's FORMACODE is known), listings also give them in the reader's
/// language; other words are shown as written. The vocabulary lives in the texts (<c>catalogue.*</c> keys, other accepted
/// spellings after '|'), read in every language of <see cref="Texts.Cultures"/>.
/// </summary>
public static class CatalogueLabels
{
    private static readonly string[] Topics = ["catalogue.topic.fle", "catalogue.topic.french", "catalogue.topic.english", "catalogue.topic.digital-skills",
        "catalogue.topic.office-software", "catalogue.topic.job-search", "catalogue.topic.cv-writing", "catalogue.topic.web-development"];

    private static readonly string[] Groups = ["catalogue.group.refugees", "catalogue.group.asylum-seekers", "catalogue.group.job-seekers", "catalogue.group.women",
        "catalogue.group.young-people", "catalogue.group.seniors", "catalogue.group.people-with-disabilities", "catalogue.group.migrants", "catalogue.group.rsa-recipients", "catalogue.group.women-in-precarity"];

    /// <summary>FORMACODE topics known by code, whatever the label says.</summary>
    private static readonly Dictionary<string, string> Formacodes = new(StringComparer.Ordinal) { ["15235"] = "catalogue.topic.fle" };

    private static readonly Lazy<Dictionary<string, string>> KnownWords = new(() =>
    {
        var words = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var culture in Texts.Cultures)
            foreach (var key in Topics.Concat(Groups))
                foreach (var form in Texts.In(culture, () => Texts.Localize(key)).Split('|'))
                    words.TryAdd(Normalise(form), key);
        return words;
    });

    public static string Topic(OfferTopic topic) =>
        (topic.Formacode is { } code && Formacodes.TryGetValue(code, out var key)) || KnownWords.Value.TryGetValue(Normalise(topic.Label), out key)
            ? Say(key) : topic.Label;

    public static string TargetGroup(string words) => KnownWords.Value.TryGetValue(Normalise(words), out var key) ? Say(key) : words;

    /// <summary>The first form of a label (the others, after '|', are other ways of writing it that are recognised).</summary>
    private static string Say(string key) => Texts.Localize(key).Split('|')[0];

    /// <summary>The one folding of the app (<see cref="TextFolding"/>), with spaces, hyphens and apostrophes as one separator.</summary>
    private static string Normalise(string s) =>
        string.Join(' ', TextFolding.Folded(s).Split([' ', '-', '\'', '’'], StringSplitOptions.RemoveEmptyEntries));
}
