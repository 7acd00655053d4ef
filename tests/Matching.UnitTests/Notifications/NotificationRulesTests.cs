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
    [InlineData("127.0.0.1", false, "loopback")]
    [InlineData("127.255.255.254", false, "loopback")]
    [InlineData("10.1.2.3", false, "private")]
    [InlineData("172.16.0.1", false, "private")]
    [InlineData("172.31.255.255", false, "private")]
    [InlineData("192.168.1.1", false, "private")]
    [InlineData("169.254.169.254", false, "cloud metadata")]
    [InlineData("100.64.0.1", false, "CGNAT")]
    [InlineData("100.127.255.255", false, "CGNAT")]
    [InlineData("0.0.0.0", false, "this network")]
    [InlineData("0.1.2.3", false, "this network")]
    [InlineData("224.0.0.1", false, "multicast")]
    [InlineData("239.255.255.250", false, "multicast")]
    [InlineData("255.255.255.255", false, "broadcast")]
    [InlineData("240.0.0.1", false, "reserved")]
    [InlineData("192.0.2.10", false, "TEST-NET-1")]
    [InlineData("198.51.100.7", false, "TEST-NET-2")]
    [InlineData("203.0.113.9", false, "TEST-NET-3")]
    [InlineData("198.18.0.1", false, "benchmarking")]
    [InlineData("198.19.255.255", false, "benchmarking")]
    [InlineData("192.0.0.8", false, "IETF assignments")]
    [InlineData("192.88.99.1", false, "6to4 relay")]
    [InlineData("168.63.129.16", false, "Azure wire server")]
    [InlineData("::1", false, "IPv6 loopback")]
    [InlineData("::", false, "unspecified")]
    [InlineData("fe80::1", false, "link-local")]
    [InlineData("fec0::1", false, "site-local")]
    [InlineData("fd00::1", false, "unique-local")]
    [InlineData("fc00::5", false, "unique-local")]
    [InlineData("ff02::1", false, "multicast")]
    [InlineData("::ffff:10.0.0.1", false, "mapped private")]
    [InlineData("::ffff:127.0.0.1", false, "mapped loopback")]
    [InlineData("::127.0.0.1", false, "compatible loopback")]
    [InlineData("::ffff:0:127.0.0.1", false, "translated loopback")]
    [InlineData("64:ff9b::10.0.0.1", false, "NAT64 private")]
    [InlineData("64:ff9b::a9fe:a9fe", false, "NAT64 metadata")]
    [InlineData("64:ff9b:1::1", false, "local NAT64")]
    [InlineData("2002:7f00:1::", false, "6to4 loopback")]
    [InlineData("2002:a9fe:a9fe::1", false, "6to4 metadata")]
    [InlineData("2001:db8::1", false, "documentation")]
    [InlineData("3fff::1", false, "documentation")]
    [InlineData("2001::1", false, "Teredo")]
    [InlineData("2001:2::1", false, "benchmarking")]
    [InlineData("100::1", false, "discard-only")]
    [InlineData("8.8.8.8", true, "public")]
    [InlineData("1.1.1.1", true, "public")]
    [InlineData("172.32.0.1", true, "just outside 172.16/12")]
    [InlineData("100.128.0.1", true, "just outside CGNAT")]
    [InlineData("168.63.129.17", true, "beside the wire server")]
    [InlineData("2606:4700:4700::1111", true, "public IPv6")]
    [InlineData("::ffff:8.8.8.8", true, "mapped public")]
    [InlineData("64:ff9b::808:808", true, "NAT64 public")]
    [InlineData("2002:808:808::1", true, "6to4 public")]
    [InlineData("2a01:e0a::1", true, "public IPv6")]
    public void Only_public_unicast_addresses_are_webhook_targets_on_Azure_whatever_their_form(string address, bool isPublic, string what) =>
        Assert.True(isPublic == WebhookAddresses.IsPublic(IPAddress.Parse(address)), $"{address} ({what})");

    [Theory]
    [InlineData("https://[::127.0.0.1]/x"), InlineData("https://[::ffff:0:127.0.0.1]/x"), InlineData("https://[64:ff9b::7f00:1]/x"),
     InlineData("https://[2002:a00:1::]/x"), InlineData("https://168.63.129.16/x"), InlineData("https://2130706433/x"), InlineData("https://0x7f.1/x")]
    public void A_literal_that_names_a_refused_address_in_another_form_is_refused(string url) =>
        Assert.False(WebhookRules.Validate(new WebhookInput(url, ["*"]), allowPrivate: false).IsValid, url);

    [Theory]
    [InlineData("https://hooks.example.org/a b"), InlineData("https://hooks.example.org/a\r\nX-Injected: 1"), InlineData(" https://hooks.example.org/x"),
     InlineData("https://hooks.example.org/x\t"), InlineData("https://hooks.example.org/\u0000")]
    public void A_url_with_whitespace_or_control_characters_is_refused_everywhere(string url)
    {
        Assert.False(WebhookRules.Validate(new WebhookInput(url, ["*"]), allowPrivate: false).IsValid);
        Assert.False(WebhookRules.Validate(new WebhookInput(url, ["*"]), allowPrivate: true).IsValid);
    }

    [Fact]
    public async Task A_name_is_a_target_only_when_every_address_it_resolves_to_is_public()
    {
        Task<IPAddress[]> Answer(params string[] addresses) => Task.FromResult(addresses.Select(IPAddress.Parse).ToArray());
        Assert.True(await WebhookAddresses.ResolvesPubliclyAsync("hooks.example.org", (_, _) => Answer("8.8.8.8", "2606:4700:4700::1111"), CancellationToken.None));
        Assert.False(await WebhookAddresses.ResolvesPubliclyAsync("hooks.example.org", (_, _) => Answer("8.8.8.8", "10.0.0.1"), CancellationToken.None));
        Assert.False(await WebhookAddresses.ResolvesPubliclyAsync("hooks.example.org", (_, _) => Answer(), CancellationToken.None));
        Assert.False(await WebhookAddresses.ResolvesPubliclyAsync("nowhere.invalid",
            (_, _) => Task.FromException<IPAddress[]>(new System.Net.Sockets.SocketException(11001)), CancellationToken.None));
    }

    [Fact]
    public void On_Azure_an_endpoint_is_an_https_url_without_credentials_and_not_a_private_address()
    {
        Assert.True(WebhookRules.Validate(new WebhookInput("https://hooks.example.org/matching", ["offer.accepted"]), allowPrivate: false).IsValid);
        foreach (var url in new[] { "http://hooks.example.org/x", "https://user:pw@hooks.example.org/x", "https://10.0.0.4/x", "https://[::1]/x", "https://169.254.169.254/latest" })
            Assert.False(WebhookRules.Validate(new WebhookInput(url, ["*"]), allowPrivate: false).IsValid, url);
        Assert.True(WebhookRules.Validate(new WebhookInput("http://127.0.0.1:9000/x", ["*"]), allowPrivate: true).IsValid);
        Assert.True(WebhookRules.Validate(new WebhookInput("http://localhost:9000/x", ["*"]), allowPrivate: true).IsValid);
        Assert.False(WebhookRules.Validate(new WebhookInput("http://hooks.example.org/x", ["*"]), allowPrivate: true).IsValid); // plain http only to this machine
        Assert.False(WebhookRules.Validate(new WebhookInput("https://hooks.example.org/x", []), allowPrivate: true).IsValid);
    }
}
