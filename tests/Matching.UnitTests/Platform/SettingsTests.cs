using Matching.Mentoring;
using Matching.Notifications;
using Matching.Offers;
using Matching.Platform;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Matching.UnitTests;

/// <summary>
/// Issue 30, item 5: settings are bound once to options and validated when the app starts (the host runs the startup
/// validators before anything else); a value out of range stops the start naming it, where it was once clamped where
/// used or read as a string.
/// </summary>
public sealed class SettingsTests
{
    private static IStartupValidator Validator(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddMentoring();
        services.AddNotifications(configuration);
        services.AddOffers();
        services.AddAbuseLimits();
        return services.BuildServiceProvider().GetRequiredService<IStartupValidator>();
    }

    [Theory]
    [InlineData("Mentoring:ProposalsPerRequest", "50", "ProposalsPerRequest")]
    [InlineData("Mentoring:ExplorationShare", "1.5", "ExplorationShare")]
    [InlineData("Mentoring:Retrain:NdcgMargin", "-1", "Retrain.NdcgMargin")]
    [InlineData("Mentoring:FollowUp:LowRating", "9", "FollowUp.LowRating")]
    [InlineData("Notifications:MaxAttempts", "0", "MaxAttempts")]
    [InlineData("Notifications:LinkBaseUrl", "matching.example.org", "LinkBaseUrl")]
    [InlineData("Matching:Limits:ClaimsPerMinute", "-1", "ClaimsPerMinute")]
    [InlineData("Matching:Limits:MentorRequestsPerDay", "-5", "MentorRequestsPerDay")]
    [InlineData("Offers:LheoSyncLimitBytes", "-1", "LheoSyncLimitBytes")]
    public void A_setting_out_of_range_stops_the_start_naming_it(string key, string value, string named)
    {
        var refused = Assert.Throws<OptionsValidationException>(() => Validator(key, value).Validate());
        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
    }

    /// <summary>Mail settings are read once, when the app is composed: a wrong one stops it there, naming it.</summary>
    [Theory]
    [InlineData("Mail:Port", "70000", "Mail:Port")]
    [InlineData("Mail:Security", "Tls13Please", "Mail:Security")]
    [InlineData("Mail:Security", "2", "Mail:Security")]
    [InlineData("Mail:From", "not a mailbox", "Mail:From")]
    public void A_wrong_mail_setting_stops_the_composition_naming_it(string key, string value, string named)
    {
        var refused = Assert.Throws<InvalidOperationException>(() => Validator(key, value));
        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_and_the_tests_own_settings_start()
    {
        Validator("Mentoring:OfferExpiryHours", (1.0 / 3600).ToString(System.Globalization.CultureInfo.InvariantCulture)).Validate();
        Validator("Notifications:RetryBaseSeconds", "0.2").Validate();
        Validator("Matching:Limits:ClaimsPerMinute", "3").Validate();
        Validator("Matching:Limits:LheoImportsPerHour", "0").Validate(); // 0 turns a limit off
        Validator("Mail:Security", "None").Validate();
    }
}
