using System.ComponentModel.DataAnnotations;
using Matching.Engine;

namespace Matching.Mentoring;

/// <summary>
/// Every <c>Mentoring:*</c> setting, bound once (<see cref="MentoringModule"/>) and validated when the app starts: a
/// value out of range stops the start with its name, where it was once clamped or read as a string where used.
/// </summary>
public sealed class MentoringOptions
{
    public const string Section = "Mentoring";

    /// <summary>How many mentors a request proposes.</summary>
    [Range(1, 20)] public int ProposalsPerRequest { get; set; } = 5;

    /// <summary>The share of requests whose proposals explore (<see cref="Exploration"/>).</summary>
    [Range(0.0, 1.0)] public double ExplorationShare { get; set; } = Exploration.DefaultShare;

    /// <summary>How strongly proposals spread over mentors (<see cref="LoadSpread"/>); 0 turns it off.</summary>
    [Range(0.0, 100.0)] public double LoadSpreadWeight { get; set; } = LoadSpread.DefaultWeight;

    /// <summary>How long a mentor has to answer an offer.</summary>
    [Range(1e-6, 24 * 365)] public double OfferExpiryHours { get; set; } = 72;

    /// <summary>How long proposals wait for the NGO's choice.</summary>
    [Range(1e-6, 365)] public double ProposalExpiryDays { get; set; } = 7;

    /// <summary>How often an instance looks for a new current model in Blob Storage.</summary>
    [Range(1, 86_400)] public int ModelCheckSeconds { get; set; } = 60;

    /// <summary>The shipped model to serve instead of the one in the package (a path to its .zip or .flat).</summary>
    public string? ModelPath { get; set; }

    /// <summary>The key that pseudonymises the training export; by default one the app makes and keeps.</summary>
    public string? PseudonymKey { get; set; }

    [Microsoft.Extensions.Options.ValidateObjectMembers] public RetrainOptions Retrain { get; set; } = new();

    [Microsoft.Extensions.Options.ValidateObjectMembers] public FollowUpOptions FollowUp { get; set; } = new();

    public TimeSpan OfferExpiry => TimeSpan.FromHours(OfferExpiryHours);
    public TimeSpan ProposalExpiry => TimeSpan.FromDays(ProposalExpiryDays);
}

/// <summary><c>Mentoring:Retrain:*</c>: when the weekly retraining trains, and how strict its gate is.</summary>
public sealed class RetrainOptions
{
    /// <summary>Below this many real outcomes nothing is trained (the cold start).</summary>
    [Range(1, int.MaxValue)] public int MinimumOutcomes { get; set; } = 1000;

    /// <summary>The NDCG@5 gain over the model in service a candidate needs.</summary>
    [Range(0.0, 1.0)] public double NdcgMargin { get; set; } = 0.01;

    /// <summary>Synthetic requests added to the training part while real outcomes are few (0: none).</summary>
    [Range(0, 100_000)] public int PriorRequests { get; set; }
}

/// <summary><c>Mentoring:FollowUp:*</c>: the thresholds of the NGO follow-up alerts.</summary>
public sealed class FollowUpOptions
{
    [Range(1, 365)] public int NoSessionDays { get; set; } = 21;
    [Range(1, 20)] public int NoShowsInARow { get; set; } = 2;
    [Range(1, 5)] public int LowRating { get; set; } = 2;
    [Range(1, 60)] public int UnansweredDays { get; set; } = 3;
}

/// <summary>Checks the settings (sections included) by code generated at build time: no reflection on the start path.</summary>
[Microsoft.Extensions.Options.OptionsValidator]
public sealed partial class MentoringOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<MentoringOptions>;
