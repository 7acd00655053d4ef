using System.Collections;
using Fluid;
using System.Globalization;
using System.Net;
using System.Resources;
using Matching.Mentoring;
using Matching.Notifications;

namespace Matching.UnitTests;

/// <summary>Who hears of what, the texts every person reads in both languages, quiet hours, and which webhook addresses are refused.</summary>
public sealed class NotificationRulesTests
{
    private static readonly ResourceManager Resources = new("Matching.Resources.Texts", typeof(Texts).Assembly);

    private static Dictionary<string, string> Keys(CultureInfo culture) =>
        Resources.GetResourceSet(culture, createIfNotExists: true, tryParents: false)!.Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string)e.Value!);

    [Fact]
    public void Every_text_has_its_French_and_its_English_and_nothing_else()
    {
        var english = Keys(CultureInfo.InvariantCulture);
        var french = Keys(Texts.French);
        Assert.NotEmpty(english);
        Assert.Empty(english.Keys.Except(french.Keys)); // a text without its French
        Assert.Empty(french.Keys.Except(english.Keys)); // a French text nobody reads
        Assert.All(english.Concat(french), t => Assert.False(string.IsNullOrWhiteSpace(t.Value), $"{t.Key} is empty"));
    }

    [Fact]
    public void Every_event_has_its_mail_and_every_code_a_mail_can_name_has_its_words_and_every_text_is_valid_Liquid()
    {
        var english = Keys(CultureInfo.InvariantCulture);
        foreach (var type in Enum.GetValues<NoticeType>())
            foreach (var part in new[] { "subject", "body", "action" })
                Assert.True(english.ContainsKey($"mail.{NoticeRules.Code(type)}.{part}"), $"mail.{NoticeRules.Code(type)}.{part}");
        var codes = Enum.GetValues<DeclineReason>().Select(r => RequestLifecycle.Code(r))
            .Concat(Enum.GetValues<MatchOutcome>().Select(o => RequestLifecycle.Code(o)))
            .Concat(Enum.GetValues<AlertKind>().Select(k => RequestLifecycle.Code(k))).Append(MentoringLifecycle.ExpiredReason);
        foreach (var code in codes) Assert.True(english.ContainsKey("reason." + code), "reason." + code);
        var parser = new FluidParser();
        foreach (var (key, text) in english.Concat(Keys(Texts.French)))
            Assert.True(parser.TryParse(text, out _, out var error), $"{key}: {error}");
    }

    [Fact]
    public void Event_codes_are_distinct_and_read_back_and_a_session_change_is_for_both_sides()
    {
        var codes = Enum.GetValues<NoticeType>().Select(NoticeRules.Code).ToList();
        Assert.Equal(codes.Count, codes.Distinct().Count());
        foreach (var type in Enum.GetValues<NoticeType>())
        {
            Assert.True(NoticeRules.TryParseCode(NoticeRules.Code(type), out var back));
            Assert.Equal(type, back);
            Assert.NotEqual(Audience.None, NoticeRules.AudienceOf(type));
        }
        Assert.False(NoticeRules.TryParseCode("offer.sent", out _));
        Assert.Equal(Audience.Mentor, NoticeRules.AudienceOf(NoticeType.OfferAwaiting)); // the NGO's staff are not told their own choice
        Assert.Equal(Audience.Mentor | Audience.Learner, NoticeRules.AudienceOf(NoticeType.SessionConfirmed));
    }

    [Theory]
    [InlineData("2026-12-05T22:30:00Z", "22:00", "07:00", "2026-12-06T06:00:00Z")] // 23:30 in Paris: until 07:00 Paris tomorrow
    [InlineData("2026-12-06T05:30:00Z", "22:00", "07:00", "2026-12-06T06:00:00Z")] // 06:30 in Paris: until 07:00 today
    [InlineData("2026-12-06T12:00:00Z", "22:00", "07:00", null)]                   // 13:00: not quiet
    [InlineData("2026-07-01T11:30:00Z", "12:00", "14:00", "2026-07-01T12:00:00Z")] // 13:30 summer time: until 14:00 Paris
    [InlineData("2026-03-29T00:30:00Z", "01:00", "04:00", "2026-03-29T02:00:00Z")] // the night the clocks go forward
    public void Quiet_hours_hold_until_their_end_in_the_persons_own_zone(string now, string from, string to, string? until)
    {
        var p = NotificationPreferences.Default with { QuietHours = new QuietHours(from, to) };
        Assert.Equal(until is null ? null : DateTimeOffset.Parse(until, CultureInfo.InvariantCulture), PreferenceRules.QuietUntil(p, DateTimeOffset.Parse(now, CultureInfo.InvariantCulture)));
        Assert.Null(PreferenceRules.QuietUntil(NotificationPreferences.Default, DateTimeOffset.Parse(now, CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.5", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)] // cloud metadata
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("2606:4700:4700::1111", true)]
    public void Only_public_addresses_are_webhook_targets_on_Azure(string address, bool isPublic) =>
        Assert.Equal(isPublic, WebhookRules.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public void On_Azure_an_endpoint_is_an_https_url_without_credentials_and_not_a_private_address()
    {
        Assert.True(WebhookRules.Validate(new WebhookInput("https://hooks.example.org/matching", ["offer.accepted"]), allowPrivate: false).IsValid);
        foreach (var url in new[] { "http://hooks.example.org/x", "https://user:pw@hooks.example.org/x", "https://10.0.0.4/x", "https://[::1]/x", "https://169.254.169.254/latest" })
            Assert.False(WebhookRules.Validate(new WebhookInput(url, ["*"]), allowPrivate: false).IsValid, url);
        Assert.True(WebhookRules.Validate(new WebhookInput("http://127.0.0.1:9000/x", ["*"]), allowPrivate: true).IsValid);
        Assert.False(WebhookRules.Validate(new WebhookInput("https://hooks.example.org/x", []), allowPrivate: true).IsValid);
    }
}
