using Matching.Engine;

namespace Matching.Mentoring;

/// <summary>
/// The engine says which features weighed (<see cref="Explanations.Reasons"/>); this puts them into the reader's
/// words: a phrase per feature (the English phrase is the texts' key), for staff choosing among mentors, or addressed
/// to the mentor it is about. Each array follows <see cref="PairFeatures.Names"/>.
/// </summary>
public static class ExplanationWords
{
    /// <summary>Plain words for each feature, used by explanations.</summary>
    public static readonly string[] Phrases =
    [
        "can help with what the learner asked for",
        "shares a language at a comfortable level",
        "has plenty of time in common each week",
        "lives close enough to meet in person",
        "meets the way the learner can (video, phone, in person)",
        "has room for a new mentee",
        "has had proposals accepted before",
        "has been rated well by earlier mentees",
        "works in the occupation the learner aims for",
        "works in the learner's target sector",
        "describes experience close to the learner's goals",
        "has years of professional experience",
        "suits the learner's level in the language they share",
        "speaks the shared language fluently",
        "lives in a time zone that suits the learner",
        "has many hours a week in common with the learner",
        "lives at a distance that suits the learner",
        "follows through once a match is accepted",
        "has the right number of mentees at the moment",
        "offers the right number of places",
        "suits a learner who wants to meet in person",
        "suits a learner who can only meet by phone",
        "suits the number of goals the learner asked for",
        "suits a learner who wants help with a CV", "suits a learner building a professional project", "suits a learner preparing interviews",
        "suits a learner looking for a job", "suits a learner learning digital skills", "suits a learner practising French",
        "suits a learner starting a business", "suits a learner discovering a sector",
        "reviews CVs", "helps build professional projects", "prepares interviews", "helps with job search", "teaches digital skills",
        "helps practise French", "knows entrepreneurship", "knows a sector from the inside",
        "has a range of expertise that suits the request", "suits the learner's level in French", "speaks French at a level that suits the learner",
    ];

    /// <summary>Plain words for each feature when it counts against a pair, used by explanations.</summary>
    public static readonly string[] NegativePhrases =
    [
        "covers only part of what the learner asked for",
        "shares a language only at a basic level",
        "has little time in common with the learner",
        "lives far from the learner",
        "cannot meet in every way the learner can",
        "is already close to full capacity",
        "has had few proposals accepted so far",
        "has mixed ratings from earlier mentees",
        "works in a different occupation",
        "works in another sector",
        "describes experience that differs from the learner's goals",
        "has fewer years of experience",
        "does not suit the learner's level in the language they share",
        "speaks the shared language less fluently",
        "lives several time zones away",
        "has few hours a week in common with the learner",
        "would have far to travel to meet the learner",
        "has not always followed through once a match was accepted",
        "has many mentees at the moment",
        "offers few places",
        "suits learners who meet in person less well",
        "suits learners who can only meet by phone less well",
        "suits the number of goals the learner asked for less well",
        "suits a learner who wants help with a CV less well", "suits a learner building a professional project less well",
        "suits a learner preparing interviews less well", "suits a learner looking for a job less well",
        "suits a learner learning digital skills less well", "suits a learner practising French less well",
        "suits a learner starting a business less well", "suits a learner discovering a sector less well",
        "does not list CV review", "does not list professional projects", "does not list interview preparation",
        "does not list job search", "does not list digital skills", "does not list French practice",
        "does not list entrepreneurship", "does not list sector knowledge",
        "lists a range of expertise that suits the request less well", "does not suit the learner's level in French",
        "speaks French at a level that suits the learner less well",
    ];

    /// <summary>The same, addressed to the mentor reading why they were proposed ("you ..."; issue 29: they read it in the third person).</summary>
    public static readonly string[] YouPhrases =
    [
        "you can help with what the learner asked for",
        "you share a language at a comfortable level",
        "you have plenty of time in common each week",
        "you live close enough to meet in person",
        "you meet the way the learner can (video, phone, in person)",
        "you have room for a new mentee",
        "you have had proposals accepted before",
        "you have been rated well by earlier mentees",
        "you work in the occupation the learner aims for",
        "you work in the learner's target sector",
        "you describe experience close to the learner's goals",
        "you have years of professional experience",
        "you suit the learner's level in the language they share",
        "you speak the shared language fluently",
        "you live in a time zone that suits the learner",
        "you have many hours a week in common with the learner",
        "you live at a distance that suits the learner",
        "you follow through once a match is accepted",
        "you have the right number of mentees at the moment",
        "you offer the right number of places",
        "you suit a learner who wants to meet in person",
        "you suit a learner who can only meet by phone",
        "you suit the number of goals the learner asked for",
        "you suit a learner who wants help with a CV",
        "you suit a learner building a professional project",
        "you suit a learner preparing interviews",
        "you suit a learner looking for a job",
        "you suit a learner learning digital skills",
        "you suit a learner practising French",
        "you suit a learner starting a business",
        "you suit a learner discovering a sector",
        "you review CVs",
        "you help build professional projects",
        "you prepare interviews",
        "you help with job search",
        "you teach digital skills",
        "you help practise French",
        "you know entrepreneurship",
        "you know a sector from the inside",
        "you have a range of expertise that suits the request",
        "you suit the learner's level in French",
        "you speak French at a level that suits the learner",
    ];

    /// <summary>The negative phrases addressed to the mentor.</summary>
    public static readonly string[] YouNegativePhrases =
    [
        "you cover only part of what the learner asked for",
        "you share a language only at a basic level",
        "you have little time in common with the learner",
        "you live far from the learner",
        "you cannot meet in every way the learner can",
        "you are already close to full capacity",
        "you have had few proposals accepted so far",
        "you have mixed ratings from earlier mentees",
        "you work in a different occupation",
        "you work in another sector",
        "you describe experience that differs from the learner's goals",
        "you have fewer years of experience",
        "you do not suit the learner's level in the language they share",
        "you speak the shared language less fluently",
        "you live several time zones away",
        "you have few hours a week in common with the learner",
        "you would have far to travel to meet the learner",
        "you have not always followed through once a match was accepted",
        "you have many mentees at the moment",
        "you offer few places",
        "you suit learners who meet in person less well",
        "you suit learners who can only meet by phone less well",
        "you suit the number of goals the learner asked for less well",
        "you suit a learner who wants help with a CV less well",
        "you suit a learner building a professional project less well",
        "you suit a learner preparing interviews less well",
        "you suit a learner looking for a job less well",
        "you suit a learner learning digital skills less well",
        "you suit a learner practising French less well",
        "you suit a learner starting a business less well",
        "you suit a learner discovering a sector less well",
        "you do not list CV review",
        "you do not list professional projects",
        "you do not list interview preparation",
        "you do not list job search",
        "you do not list digital skills",
        "you do not list French practice",
        "you do not list entrepreneurship",
        "you do not list sector knowledge",
        "you list a range of expertise that suits the request less well",
        "you do not suit the learner's level in French",
        "you speak French at a level that suits the learner less well",
    ];

    /// <summary>The sentence, in the current UI culture: the English phrases are the texts' keys.</summary>
    /// <param name="toMentor">Addressed to the mentor it is about ("you ..."), not to the staff choosing among mentors.</param>
    public static string Text(Explanations.Reasons reasons, bool toMentor = false)
    {
        var w = toMentor ? ToMentor : ToStaff;
        var phrases = reasons.Because.Select(n => Array.IndexOf(PairFeatures.Names, n)).Where(i => i >= 0).Select(i => w.Phrases[i]).ToList();
        var text = phrases.Count switch
        {
            0 => Texts.Localize(w.None),
            1 => Texts.Format(w.One, phrases[0]),
            2 => Texts.Format(w.Two, phrases[0], phrases[1]),
            _ => Texts.Format(w.Three, phrases[0], phrases[1], phrases[2]),
        };
        if (reasons.Against is { } against && Array.IndexOf(PairFeatures.Names, against) is var i and >= 0)
            text += " " + Texts.Format(w.Against, w.NegativePhrases[i]);
        return text;
    }

    /// <summary>One reader's words: the phrases and the sentence patterns (English, the texts' keys).</summary>
    private sealed record Words(string[] Phrases, string[] NegativePhrases, string None, string One, string Two, string Three, string Against);

    private static readonly Words ToStaff = new(Phrases, NegativePhrases,
        "Proposed because the mentor meets every requirement; no single factor stands out.", "Proposed mainly because the mentor {0}.",
        "Proposed mainly because the mentor {0} and {1}.", "Proposed mainly because the mentor {0}, {1} and {2}.", "Less favourable: the mentor {0}.");

    private static readonly Words ToMentor = new(YouPhrases, YouNegativePhrases,
        "Proposed to you because you meet every requirement; no single factor stands out.", "Proposed to you mainly because {0}.",
        "Proposed to you mainly because {0} and {1}.", "Proposed to you mainly because {0}, {1} and {2}.", "Less favourable: {0}.");

    /// <summary>Why nobody could be proposed, in English: the texts' key, localised where it is read.</summary>
    public static string Describe(Exclusion e) => e switch
    {
        Exclusion.Paused => "every mentor who could help has paused mentoring",
        Exclusion.NoSharedLanguage => "no active mentor shares a language with the learner at a usable level",
        Exclusion.NoCompatibleMode => "no active mentor offers a way of meeting the learner can use",
        Exclusion.TooFar => "the mentors who meet in person live too far away",
        Exclusion.NoCapacity => "the mentors who could help have no room for a new mentee",
        Exclusion.NoAvailabilityOverlap => "no mentor has at least one hour a week in common with the learner",
        Exclusion.PreferenceNotMet => "no mentor meets the learner's stated preferences",
        _ => "",
    };
}
