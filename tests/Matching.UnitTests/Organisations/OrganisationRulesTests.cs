using Matching.Organisations;
using Matching.Security;

namespace Matching.UnitTests;

public sealed class OrganisationRulesTests
{
    [Theory]
    [InlineData("73282932000074", true)]    // Luhn
    [InlineData("44306184100047", true)]
    [InlineData("73282932000075", false)]   // one digit off
    [InlineData("7328293200007", false)]    // 13 digits
    [InlineData("732829320000745", false)]  // 15
    [InlineData("7328293200007A", false)]
    [InlineData("35600000000048", true)]    // La Poste's head office: Luhn
    [InlineData("35600000012341", true)]    // a La Poste establishment: its digits add up to a multiple of 5 (not Luhn)
    [InlineData("35600000012345", false)]
    [InlineData("", false)]
    public void A_siret_is_14_digits_with_the_luhn_check_or_la_postes_rule(string siret, bool valid) =>
        Assert.Equal(valid, OrganisationRules.IsSiret(siret));

    [Fact]
    public void Each_kind_of_organisation_has_its_staff_role_and_admins()
    {
        Assert.Equal([Role.Ngo, Role.Admin], OrganisationRules.RolesIn(OrganisationKind.Ngo));
        Assert.Equal([Role.Provider, Role.Admin], OrganisationRules.RolesIn(OrganisationKind.Provider));
        Assert.Equal([Role.Mentor, Role.Admin], OrganisationRules.RolesIn(OrganisationKind.VolunteerNetwork));
    }

    [Fact]
    public void A_person_is_an_opaque_id_of_issuer_and_subject()
    {
        var a = new Person("https://login.example/tenant-a/v2.0", "subject-1");
        Assert.Equal(a.Id, new Person("https://login.example/tenant-a/v2.0", "subject-1").Id);
        Assert.NotEqual(a.Id, new Person("https://login.example/tenant-b/v2.0", "subject-1").Id); // same subject, another issuer: another person
        Assert.True(Matching.Platform.Ids.IsValid(a.Id));
        Assert.DoesNotContain("subject", a.Id);
    }

    [Fact]
    public void Organisation_input_is_checked_field_by_field()
    {
        Assert.True(OrganisationRules.Check(new OrganisationInput("konexio", "Konexio", OrganisationKind.Ngo, "73282932000074")).IsValid);
        Assert.True(OrganisationRules.Check(new OrganisationInput("benevoles", "Bénévoles", OrganisationKind.VolunteerNetwork, null, true)).IsValid);
        var errors = OrganisationRules.Check(new OrganisationInput("Konexio!", "K", OrganisationKind.Ngo, null)).Errors;
        Assert.Equal(["id", "name", "siret"], errors.Keys.Order());
        Assert.Contains("id", OrganisationRules.Check(new OrganisationInput("platform", "Platform", OrganisationKind.Ngo, "73282932000074")).Errors.Keys);
    }
}
