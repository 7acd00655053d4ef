using System.Collections;
using System.Globalization;
using System.Resources;
using System.Text.RegularExpressions;

namespace Matching.UnitTests;

/// <summary>
/// The words of problems and fields' messages are written in English in the code and read in the caller's language:
/// every such literal must be a text of the resources (which <see cref="NotificationRulesTests"/> checks has its French).
/// </summary>
public sealed partial class TextsTests
{
    private static readonly HashSet<string> Keys = new ResourceManager("Matching.Resources.Texts", typeof(Texts).Assembly)
        .GetResourceSet(CultureInfo.InvariantCulture, createIfNotExists: true, tryParents: false)!.Cast<DictionaryEntry>().Select(e => (string)e.Key).ToHashSet();

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Matching.sln"))) return dir.FullName;
        throw new InvalidOperationException("The repository root is not above the tests.");
    }

    // v.Require(condition, "field" or Field, "message"), v.Add("field", "message"), Title = "...", Problems.Result(status, type, "title", "detail"),
    // Problems.NotFound("what"), TransitionRefusedException(status, "title", "detail"), the lifecycle's Require(row, event, "title", "detail"): literal texts only (an interpolated one says why in its own words).
    // Also: Texts.Format("pattern", ...) and new OfferRefusal("pattern", ...), Problems.Validation's { ["field"] = ["message"] }, a (status, "detail") answer of the
    // membership resolver, a status => "title" arm, Detail = "...", a BadHttpRequestException's message, and fields named
    // by an interpolation or a concatenation.
    [GeneratedRegex(@"(?:Texts\.Format|new OfferRefusal)\(""((?:[^""\\]|\\.)*)""|\]\s*=\s*\[""((?:[^""\\]|\\.)*)""\]|\(null,\s*StatusCodes\.Status\w+,\s*""((?:[^""\\]|\\.)*)""\)|StatusCodes\.Status\w+\s*=>\s*""([^""]+)""|" +
        @"\.(?:Require|Add)\((?:[^;]*?),\s*(?:\$?""[^""]+""|[A-Za-z_][\w.]*(?:\s*\+\s*""[^""]*"")?),\s*""((?:[^""\\]|\\.)*)""\)|" +
        @"Detail = ""((?:[^""\\]|\\.)*)""|new BadHttpRequestException\(\$?""((?:[^""\\{]|\\.)*)""|\.Add\(\s*""[^""]+"",\s*""((?:[^""\\]|\\.)*)""\)|Title = ""([^""]+)""|Problems\.Result\([^,]+,[^,]+,\s*""([^""]+)""(?:,\s*""((?:[^""\\]|\\.)*)"")?|Problems\.NotFound\(""([^""]+)""\)|new TransitionRefusedException\([^,]+,\s*""([^""]+)"",\s*(?:""((?:[^""\\]|\\.)*)"")?|\bRequire\(row, [^,]+, ""([^""]+)"",\s*""((?:[^""\\]|\\.)*)""")]
    private static partial Regex PersonFacing();

    [Fact]
    public void Every_problem_title_and_field_message_written_in_the_code_has_its_translation()
    {
        var missing = new List<string>();
        var files = Directory.EnumerateFiles(Path.Combine(Root(), "functions"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Where(f => !f.EndsWith("OpenApiSetup.cs", StringComparison.Ordinal) && !f.EndsWith("MailComposer.cs", StringComparison.Ordinal)); // the API's own title; mail headers
        var found = 0;
        foreach (var file in files)
            foreach (Match m in PersonFacing().Matches(File.ReadAllText(file)))
                foreach (var g in m.Groups.Cast<Group>().Skip(1).Where(g => g.Success))
                {
                    found++;
                    var text = g.Value.Replace("\\\"", "\"");
                    if (!Keys.Contains(text)) missing.Add($"{Path.GetFileName(file)}: {text}");
                }
        Assert.True(found > 100, $"only {found} texts found: the pattern no longer reads the code");
        Assert.True(missing.Count == 0, "Texts without their translation (add them to functions/Resources/Texts.resx and Texts.fr.resx):\n" + string.Join("\n", missing.Distinct()));
    }

    // The pages' words: @T("…") and @F("…", …) in components, Words.T("…") and PageResults.Error(status, "title", "message") in code,
    // and the arms of a switch that words a value ("…" => or => "…").
    [GeneratedRegex(@"\b[TF]\(""((?:[^""\\]|\\.)*)""|PageResults\.Error\([^,]+,\s*""([^""]+)"",\s*""((?:[^""\\]|\\.)*)""|=>\s*""([^""]+)""")]
    private static partial Regex PageWords();

    [Fact]
    public void Every_word_of_the_pages_has_its_translation()
    {
        var root = Path.Combine(Root(), "functions");
        var files = Directory.EnumerateFiles(Path.Combine(root, "Pages"), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .Append(Path.Combine(root, "Hosting", "PageGate.cs"));
        var (found, missing) = (0, new List<string>());
        foreach (var file in files)
            foreach (Match m in PageWords().Matches(File.ReadAllText(file)))
                foreach (var g in m.Groups.Cast<Group>().Skip(1).Where(g => g.Success))
                {
                    var text = g.Value.Replace("\\\"", "\"");
                    if (text.StartsWith('/') || text.All(c => char.IsLower(c) || char.IsDigit(c))) continue; // paths and codes ("confirmed")
                    found++;
                    if (!Keys.Contains(text)) missing.Add($"{Path.GetFileName(file)}: {text}");
                }
        Assert.True(found > 40, $"only {found} words found: the pattern no longer reads the pages");
        Assert.True(missing.Count == 0, "Words of the pages without their translation (add them to functions/Resources/Texts.resx and Texts.fr.resx):\n" + string.Join("\n", missing.Distinct()));
    }

    [Fact]
    public void English_given_to_a_French_reader_is_noticed_and_a_text_formatted_in_French_is_not()
    {
        var before = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = Texts.French;
            var formatted = Texts.Format("{0} was not found.", "The learner");
            Assert.Equal(formatted, Texts.ForReader(formatted));
            Assert.Equal("Accès refusé", Texts.ForReader("Forbidden"));
            var english = $"A sentence nobody translated, {Guid.NewGuid():N}.";
            Assert.Equal(english, Texts.ForReader(english));
            Assert.Contains(english, Texts.Untranslated);
            Assert.DoesNotContain(formatted, Texts.Untranslated);
            Assert.DoesNotContain("Forbidden", Texts.Untranslated);
        }
        finally { CultureInfo.CurrentUICulture = before; }
    }

    [Fact]
    public void No_two_texts_differ_only_by_case_which_the_resource_compiler_would_drop()
    {
        foreach (var file in new[] { "Texts.resx", "Texts.fr.resx" })
        {
            var names = System.Xml.Linq.XDocument.Load(Path.Combine(Root(), "functions", "Resources", file)).Root!.Elements("data").Select(d => (string)d.Attribute("name")!);
            Assert.Empty(names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key));
        }
    }

    [Fact]
    public void Every_phrase_of_an_explanation_and_every_reason_for_no_candidates_has_its_translation()
    {
        var texts = Matching.Mentoring.ExplanationWords.Phrases.Concat(Matching.Mentoring.ExplanationWords.NegativePhrases)
            .Concat(Matching.Mentoring.ExplanationWords.YouPhrases).Concat(Matching.Mentoring.ExplanationWords.YouNegativePhrases)
            .Concat(Enum.GetValues<Matching.Engine.Exclusion>().Select(Matching.Mentoring.ExplanationWords.Describe).Where(d => d.Length > 0));
        Assert.All(texts, t => Assert.Contains(t, Keys));
        Assert.Equal(Matching.Engine.PairFeatures.Names.Length, Matching.Mentoring.ExplanationWords.Phrases.Length);
        Assert.Equal(Matching.Engine.PairFeatures.Names.Length, Matching.Mentoring.ExplanationWords.YouPhrases.Length);
        Assert.Equal(Matching.Mentoring.ExplanationWords.NegativePhrases.Length, Matching.Mentoring.ExplanationWords.YouNegativePhrases.Length);
    }

    [Fact]
    public void An_explanation_reads_in_the_current_language()
    {
        var before = CultureInfo.CurrentUICulture;
        try
        {
            var reasons = new Matching.Engine.Explanations.Reasons(["goalOverlap", "languageLevel"], "proximity");
            CultureInfo.CurrentUICulture = Texts.French;
            Assert.Equal("Proposé surtout parce que le mentor peut aider sur ce que la personne a demandé et partage une langue à un niveau confortable. "
                + "Moins favorable : le mentor habite loin de la personne.", Matching.Mentoring.ExplanationWords.Text(reasons));
            // The mentor reads why they were proposed addressed to them (issue 29, item 10: it was in the third person).
            Assert.Equal("Vous êtes proposé·e surtout parce que vous pouvez aider sur ce que la personne a demandé et vous partagez une langue à un niveau confortable. "
                + "Moins favorable : vous habitez loin de la personne.", Matching.Mentoring.ExplanationWords.Text(reasons, toMentor: true));
            CultureInfo.CurrentUICulture = Texts.English;
            Assert.StartsWith("Proposed mainly because the mentor can help with what the learner asked for and shares", Matching.Mentoring.ExplanationWords.Text(reasons));
            Assert.Equal("Proposed to you mainly because you can help with what the learner asked for and you share a language at a comfortable level. "
                + "Less favourable: you live far from the learner.", Matching.Mentoring.ExplanationWords.Text(reasons, toMentor: true));
        }
        finally { CultureInfo.CurrentUICulture = before; }
    }

    [Theory]
    [InlineData(null, "fr")]
    [InlineData("en-GB,en;q=0.9", "en")]
    [InlineData("de-DE, en;q=0.5, fr;q=0.8", "fr")]
    [InlineData("en;q=0, fr", "fr")]
    [InlineData("es", "fr")]
    [InlineData("not a header;;", "fr")]
    public void The_caller_chooses_French_or_English_and_people_default_to_French(string? header, string expected) =>
        Assert.Equal(expected, Texts.FromAcceptLanguage(header).TwoLetterISOLanguageName);

    [Fact]
    public void A_text_is_read_in_the_current_language_and_a_pattern_with_its_arguments()
    {
        var before = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = Texts.French;
            Assert.Equal("La requête n'est pas valide", Texts.Localize("The request is not valid"));
            Assert.Equal("La personne accompagnée est introuvable.", Texts.Format("{0} was not found.", "The learner"));
            Assert.Equal("A text nobody translated", Texts.Localize("A text nobody translated"));
            CultureInfo.CurrentUICulture = Texts.English;
            Assert.Equal("The learner was not found.", Texts.Format("{0} was not found.", "The learner"));
        }
        finally { CultureInfo.CurrentUICulture = before; }
    }
}
