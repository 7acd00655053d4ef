using Matching.Engine;
using Matching.Offers;

namespace Matching.UnitTests;

public sealed class OfferRulesTests
{
    private static readonly DateTimeOffset T = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static OfferDetails Valid() => new("Français A2", [new OfferTopic("French", "K2111", "15235", "http://data.europa.eu/esco/skill/abc")],
        ["fr", "ar"], OfferFormat.VirtualClass, 1000, T, T.AddDays(31));

    [Fact]
    public void A_complete_offer_is_valid() => Assert.True(OfferRules.Validate(Valid()).IsValid);

    [Theory]
    [InlineData("title")]
    [InlineData("languages[1]")]
    [InlineData("topics[0].formacode")]
    [InlineData("topics[0].esco")]
    [InlineData("holdMinutes")]
    [InlineData("venue")]
    [InlineData("venue.latitude")]
    public void Each_rule_names_its_field(string field)
    {
        var d = Valid();
        d = field switch
        {
            "title" => d with { Title = "ab" },
            "languages[1]" => d with { Languages = ["fr", "FR"] },
            "topics[0].formacode" => d with { Topics = [new OfferTopic("French", Formacode: "1523")] },
            "topics[0].esco" => d with { Topics = [new OfferTopic("French", Esco: "https://example.org/x")] },
            "holdMinutes" => d with { HoldMinutes = 1 },
            "venue" => d with { Format = OfferFormat.InPerson },
            _ => d with { Format = OfferFormat.InPerson, Venue = new Venue("1 rue de la Paix", "2A004", 91, 2) },
        };
        Assert.Contains(field, OfferRules.Validate(d).Errors.Keys);
    }

    [Theory]
    [InlineData(OfferStatus.Open, 1)]
    [InlineData(OfferStatus.Closed, 2)]
    [InlineData(OfferStatus.Suspended, 3)]
    [InlineData(OfferStatus.Draft, null)]
    public void Statuses_map_to_lheo_recruitment_status(OfferStatus status, int? lheo) => Assert.Equal(lheo, OfferRules.LheoRecruitmentStatus(status));

    [Fact]
    public void Haversine_distance_paris_to_gueret_is_about_290_km()
    {
        var km = Geo.DistanceKm(48.8566, 2.3522, 46.1716, 1.8717);
        Assert.InRange(km, 295, 305);
        Assert.Equal(0, Geo.DistanceKm(46, 1, 46, 1), 6);
    }
}
