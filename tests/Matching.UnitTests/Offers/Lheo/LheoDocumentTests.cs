using System.Text;
using Matching.Offers;
using Matching.Offers.Lheo;

namespace Matching.UnitTests.Lheo;

public sealed class LheoDocumentTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private static LheoDocument.Result Read(string xml) => LheoDocument.Read(new MemoryStream(Encoding.UTF8.GetBytes(xml)), Now);

    [Fact]
    public void Every_session_of_an_action_with_places_becomes_an_offer()
    {
        var result = Read(LheoSamples.Small());
        Assert.Empty(result.Problems);
        Assert.Equal(["lheo:F-FLE-01/A-1/S-1", "lheo:F-FLE-01/A-1/S-2", "lheo:F-NUM-01/A-1/S-1"], result.Offers.Select(o => o.ExternalId));
        Assert.Equal(1, result.SessionsWithoutPlaces);

        var first = result.Offers[0];
        Assert.Equal("Français langue étrangère A2", first.Details.Title);
        Assert.Equal(12, first.Details.TotalSeats);
        Assert.Equal(OfferFormat.ELearning, first.Details.Format);
        Assert.Equal(["fr"], first.Details.Languages);
        Assert.Contains(first.Details.Topics, t => t.Formacode == "15235");
        Assert.Contains(first.Details.Topics, t => t.Rome == "K2111");
        Assert.Equal(new DateOnly(2027, 1, 5), first.Details.CourseStart);
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), first.Details.ClaimOpensAt);
        Assert.Equal(new DateTimeOffset(2026, 12, 21, 0, 0, 0, TimeSpan.Zero), first.Details.ClaimClosesAt); // the last day included
        Assert.Equal("23096", first.Details.Venue!.InseeCode);
        Assert.Equal(OfferStatus.Open, first.Status);
        Assert.Equal(OfferStatus.Suspended, result.Offers[1].Status);

        var unknownRegistration = result.Offers[2];
        Assert.Equal(Now, unknownRegistration.Details.ClaimOpensAt);
        Assert.Equal(new DateTimeOffset(2027, 1, 5, 0, 0, 0, TimeSpan.Zero), unknownRegistration.Details.ClaimClosesAt); // the session's start
        Assert.Equal(OfferFormat.InPerson, unknownRegistration.Details.Format);
    }

    [Theory]
    [InlineData("<lheo><offres><formation>", "line")]
    [InlineData("<catalogue/>", "<lheo>")]
    [InlineData("<lheo><offres/></lheo>", "no <formation>")]
    public void Malformed_documents_are_refused_with_their_problem(string xml, string expected)
    {
        var result = Read(xml);
        Assert.Empty(result.Offers);
        Assert.Contains(result.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Field_problems_are_listed_with_their_path()
    {
        var xml = LheoSamples.Document(
            LheoSamples.Formation("F1", "Français",
                LheoSamples.Action("A1", 10, "7", LheoSamples.Session("S1", etat: "9", debut: "2027-01-05"))),
            LheoSamples.Formation("F1", "", LheoSamples.Action("A1", 5, "0", LheoSamples.Session("S1"))));
        var problems = Read(xml).Problems;
        Assert.Contains(problems, p => p.StartsWith("formation[1]/action[1]/modalites-enseignement", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("formation[1]/action[1]/session[1]/etat-recrutement", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("formation[1]/action[1]/session[1]/periode/debut", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("formation[2]/intitule-formation", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("appear 2 times", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_identifiers_are_refused_because_reuploads_could_not_update()
    {
        var xml = LheoSamples.Small().Replace("numero=\"F-NUM-01\"", "");
        Assert.Contains(Read(xml).Problems, p => p.StartsWith("formation[2]: the numero attribute", StringComparison.Ordinal));
    }

    [Fact]
    public void Dtds_are_refused()
    {
        var xml = """<?xml version="1.0"?><!DOCTYPE lheo [<!ENTITY x SYSTEM "file:///etc/passwd">]><lheo><offres>&x;</offres></lheo>""";
        var result = Read(xml);
        Assert.Empty(result.Offers);
        Assert.NotEmpty(result.Problems);
    }
}
