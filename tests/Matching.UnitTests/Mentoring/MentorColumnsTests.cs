using Matching.Engine;
using Matching.Training;

namespace Matching.UnitTests.Mentoring;

/// <summary>
/// The one-pass filters and features over the snapshot's columns give exactly what the reference code gives
/// (Filters.Check, then PairFeatures.Compute) for every pair: the same candidates, the same reason for each mentor
/// left out, and bit-identical features; on the synthetic world and on mentors made to hit every filter.
/// </summary>
public sealed class MentorColumnsTests
{
    [Fact]
    public void One_pass_over_the_columns_equals_the_reference_filters_and_features_pair_by_pair()
    {
        var week = WeeklyTime.WeekStart(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));
        var random = new Random(5);
        var profiles = Enumerable.Range(0, 600).Select(i => SyntheticData.Mentor(random, $"m{i}")).ToList();
        // Variants that exercise every branch: paused, full, a gender, in person only, names in other cases and with spaces.
        profiles.AddRange(profiles.Take(120).Select((m, i) => (i % 6) switch
        {
            0 => m with { Id = $"v{i}", Paused = true },
            1 => m with { Id = $"v{i}", ActiveMentees = m.Capacity },
            2 => m with { Id = $"v{i}", Gender = (Gender)(i % 3) },
            3 => m with { Id = $"v{i}", Modes = [SessionMode.InPerson], TravelRadiusKm = 5 + i },
            4 => m with { Id = $"v{i}", Languages = m.Languages.Select(l => l with { Language = l.Language.ToUpperInvariant() }).ToList(), Sector = $"  {m.Sector?.ToUpperInvariant()} ", Rome = m.Rome?.ToLowerInvariant() },
            _ => m with { Id = $"v{i}", Home = null, Occupation = null, Rome = m.Rome is { Length: > 3 } r ? r[..3] : null, Record = null },
        }));
        var mentors = profiles.Select(p => new PreparedMentor(p, week)).ToList();
        AssertPassEqualsReference(MentorColumns.For(mentors), mentors, random, week);
    }

    /// <summary>A snapshot where some mentors changed (load, languages, sector, pause) gets its columns by rewriting those rows only.</summary>
    [Fact]
    public void Columns_updated_row_by_row_equal_the_reference_on_the_changed_snapshot()
    {
        var week = WeeklyTime.WeekStart(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));
        var random = new Random(6);
        var before = Enumerable.Range(0, 400).Select(i => new PreparedMentor(SyntheticData.Mentor(random, $"m{i}"), week)).ToArray();
        MentorColumns.For(before);
        var after = before.ToArray();
        var changed = new HashSet<int>();
        for (var i = 0; i < after.Length; i += 7)
        {
            var m = after[i].Profile;
            after[i] = new PreparedMentor((i % 4) switch
            {
                0 => m with { ActiveMentees = m.Capacity },
                1 => m with { Languages = [new LanguageSkill("Tigrinya-" + i, Cefr.C1), .. m.Languages] },
                2 => m with { Sector = "sector " + i, Rome = "Z" + i },
                _ => m with { Paused = !m.Paused },
            }, week);
            changed.Add(i);
        }
        AssertPassEqualsReference(MentorColumns.Update(before, after, changed), after, random, week);
        Assert.Same(MentorColumns.For(after), MentorColumns.For(after));
    }

    /// <summary>
    /// More than 64 languages in one snapshot: the bit masks cannot tell them all apart, and the pass reads the lists for
    /// those ids. Some mentors speak only a language of a high id, which some learners share.
    /// </summary>
    [Fact]
    public void With_more_languages_than_bits_the_pass_still_equals_the_reference()
    {
        var week = WeeklyTime.WeekStart(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));
        var random = new Random(7);
        var mentors = Enumerable.Range(0, 500).Select(i =>
        {
            var m = SyntheticData.Mentor(random, $"m{i}");
            // 90 more languages first, so that those seen last get ids of 64 and more; the last 50 mentors speak only one of those.
            m = i < 450 ? m with { Languages = [.. m.Languages, new LanguageSkill($"lang{i % 90}", Cefr.B2)] }
                : m with { Languages = [new LanguageSkill($"lang{100 + i % 5}", Cefr.C1)] };
            return new PreparedMentor(m, week);
        }).ToList();
        AssertPassEqualsReference(MentorColumns.For(mentors), mentors, random, week,
            (learner, l) => l % 3 == 0 ? learner with { Languages = [.. learner.Languages, new LanguageSkill($"lang{100 + l % 5}", Cefr.B2)] } : learner);
    }

    private static void AssertPassEqualsReference(MentorColumns columns, IReadOnlyList<PreparedMentor> mentors, Random random, DateTime week,
        Func<LearnerProfile, int, LearnerProfile>? learnerVariant = null)
    {
        var features = new float[mentors.Count * PairFeatures.Count];
        var candidates = new int[mentors.Count];
        var reference = new float[PairFeatures.Count];
        var pairs = 0;
        for (var l = 0; l < 300; l++)
        {
            var profile = SyntheticData.Learner(random, $"l{l}");
            profile = (l % 5) switch
            {
                0 => profile with { PreferredMentorGender = (Gender)(l % 3) },
                1 => profile with { Modes = [SessionMode.InPerson] },
                2 => profile with { TargetSector = profile.TargetSector?.ToLowerInvariant() + " ", Place = null },
                _ => profile,
            };
            if (learnerVariant is not null) profile = learnerVariant(profile, l);
            var (goals, text) = SyntheticData.Goals(random, profile);
            var request = new MatchRequest(profile, goals, text);
            var learner = new PreparedLearner(profile, week);
            var exclude = new HashSet<string> { mentors[l % mentors.Count].Profile.Id };
            var counts = new int[MentorColumns.Reasons];
            var n = columns.Pass(request, learner, exclude, features, candidates, counts);

            var expected = new int[MentorColumns.Reasons];
            var passed = 0;
            for (var m = 0; m < mentors.Count; m++)
            {
                if (exclude.Contains(mentors[m].Profile.Id)) continue;
                var why = Filters.Check(learner, mentors[m]);
                expected[(int)why]++;
                if (why != Exclusion.None) continue;
                Assert.Equal(m, candidates[passed]);
                PairFeatures.Compute(request, learner, mentors[m], reference);
                Assert.Equal(reference, features.AsSpan(passed * PairFeatures.Count, PairFeatures.Count).ToArray());
                passed++;
                pairs++;
            }
            Assert.Equal(passed, n);
            for (var e = 1; e < expected.Length; e++) Assert.Equal(expected[e], counts[e]);
        }
        Assert.True(pairs > 10_000, $"{pairs} pairs compared");
    }
}
