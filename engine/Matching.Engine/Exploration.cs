namespace Matching.Engine;

/// <summary>
/// Exploration without harm. A model that learns only from what it proposed keeps proposing the same kind of mentor,
/// and a mentor it never proposes never gets the outcomes that would show they are good. So, for a small share of
/// requests (<c>Mentoring:ExplorationShare</c>, 10% by default), the last of the k slots is filled by one of the next
/// <see cref="Window"/> candidates (ranks k+1 to k+5, each as likely), who passed every filter like the others. Each
/// proposal shown carries its propensity (the chance it had to be shown), and training weighs each outcome by its
/// inverse (<see cref="Weight"/>), so that outcomes the model would not have sought count for the times they were not sought.
/// </summary>
public static class Exploration
{
    public const int Window = 5;
    public const double DefaultShare = 0.10;

    /// <summary>The largest weight one outcome gets (clipped IPS): one explored outcome counts as five at most, so a few lucky draws
    /// cannot steer a model. At 20 the simulation's models ranked worse (docs/matching-model.md).</summary>
    public const double MaxWeight = 5;

    /// <summary>How many to rank so that the window can be drawn from.</summary>
    public static int Ranked(int k, double share) => share > 0 ? k + Window : k;

    /// <summary>
    /// The proposals to show, from the ranked ones (best first, up to k + <see cref="Window"/>), and the propensity of
    /// each: 1 for the first k - 1, 1 - share for the k-th when exploring could have replaced it, share / (candidates
    /// in the window) for one drawn from the window.
    /// </summary>
    public static (IReadOnlyList<T> Shown, IReadOnlyList<double> Propensities) Choose<T>(IReadOnlyList<T> ranked, int k, double share, Random random)
    {
        var alternatives = Math.Min(Window, ranked.Count - k);
        if (share <= 0 || alternatives <= 0 || k < 1)
        {
            var all = ranked.Take(k).ToList();
            return (all, all.Select(_ => 1.0).ToList());
        }
        var shown = ranked.Take(k - 1).ToList();
        var propensities = shown.Select(_ => 1.0).ToList();
        if (random.NextDouble() < share)
        {
            shown.Add(ranked[k + random.Next(alternatives)]);
            propensities.Add(share / alternatives);
        }
        else
        {
            shown.Add(ranked[k - 1]);
            propensities.Add(1 - share);
        }
        return (shown, propensities);
    }

    /// <summary>An outcome's training weight: the inverse of its propensity, at most <see cref="MaxWeight"/>; 1 when none was logged.</summary>
    public static float Weight(double? propensity) =>
        propensity is { } p and > 0 ? (float)Math.Min(MaxWeight, 1 / p) : 1f;
}
