namespace Matching.Engine;

/// <summary>Why a mentor cannot be proposed: the hard constraints, each with a code (the app words them).</summary>
public enum Exclusion { None, Paused, NoSharedLanguage, NoCompatibleMode, TooFar, NoCapacity, NoAvailabilityOverlap, PreferenceNotMet }

public static class Filters
{
    /// <summary>A learner needs at least A2 and a mentor at least B1 in a shared language.</summary>
    public const Cefr LearnerMinimum = Cefr.A2;
    public const Cefr MentorMinimum = Cefr.B1;
    public const double MinimumOverlapHours = 1.0;

    public static string Code(Exclusion e) => e switch
    {
        Exclusion.Paused => "paused",
        Exclusion.NoSharedLanguage => "no-shared-language",
        Exclusion.NoCompatibleMode => "no-compatible-mode",
        Exclusion.TooFar => "too-far",
        Exclusion.NoCapacity => "no-capacity",
        Exclusion.NoAvailabilityOverlap => "no-availability-overlap",
        Exclusion.PreferenceNotMet => "preference-not-met",
        _ => "none",
    };

    /// <summary>The first hard constraint the pair fails, cheapest checks first.</summary>
    public static Exclusion Check(PreparedLearner learner, PreparedMentor mentor)
    {
        var l = learner.Profile;
        var m = mentor.Profile;
        if (m.Paused) return Exclusion.Paused;
        if (!SharesUsableLanguage(l, m)) return Exclusion.NoSharedLanguage;
        if (l.PreferredMentorGender is { } g && m.Gender != g) return Exclusion.PreferenceNotMet;
        var remote = l.Modes.Any(mode => mode != SessionMode.InPerson && m.Modes.Contains(mode));
        if (!remote)
        {
            if (!(l.Modes.Contains(SessionMode.InPerson) && m.Modes.Contains(SessionMode.InPerson))) return Exclusion.NoCompatibleMode;
            if (PairFeatures.Distance(l, m) is not { } d || d > m.TravelRadiusKm) return Exclusion.TooFar;
        }
        if (m.Load >= m.Capacity) return Exclusion.NoCapacity;
        if (learner.Time.OverlapHours(mentor.Time) < MinimumOverlapHours) return Exclusion.NoAvailabilityOverlap;
        return Exclusion.None;
    }

    private static bool SharesUsableLanguage(LearnerProfile l, MentorProfile m)
    {
        foreach (var a in l.Languages)
            if (a.Level >= LearnerMinimum)
                foreach (var b in m.Languages)
                    if (b.Level >= MentorMinimum && string.Equals(a.Language, b.Language, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
