using System.Globalization;
using Matching.Notifications;
using Matching.Notifications.Sms;
using Microsoft.Extensions.Configuration;

namespace Matching.UnitTests;

/// <summary>Texts for a phone: GSM-7 (so that a cheap phone shows them and they stay 160 characters a segment), at most two segments.</summary>
public sealed class SmsTextsTests
{
    [Theory]
    [InlineData("Répondez à Célia", "Répondez à Célia")] // é and à are GSM-7
    [InlineData("Votre rendez-vous août : fête", "Votre rendez-vous aout : fete")]
    [InlineData("« Leçon » l’œuvre", "\" Lecon \" l'oeuvre")]
    [InlineData("emoji 😀 gone", "emoji  gone")]
    public void Normalize_keeps_gsm7_and_writes_the_rest_the_nearest_way(string text, string expected)
    {
        Assert.Equal(expected, Gsm7.Normalize(text));
        Assert.True(Gsm7.IsGsm7(Gsm7.Normalize(text)));
    }

    [Fact]
    public void Segments_count_as_phones_do()
    {
        Assert.Equal(1, Gsm7.Segments(new string('a', 160)));
        Assert.Equal(2, Gsm7.Segments(new string('a', 161)));
        Assert.Equal(2, Gsm7.Segments(new string('a', 306)));
        Assert.Equal(3, Gsm7.Segments(new string('a', 307)));
        Assert.Equal(1, Gsm7.Segments(new string('€', 80))); // two septets each
        Assert.Equal(2, Gsm7.Segments(new string('€', 81)));
        Assert.Equal(1, Gsm7.Segments("ê")); // not GSM-7: UCS-2, 70 a segment
        Assert.Equal(2, Gsm7.Segments("ê" + new string('a', 70)));
    }

    public static TheoryData<NoticeType, string> EveryTextInEveryLanguage()
    {
        var data = new TheoryData<NoticeType, string>();
        foreach (var type in Enum.GetValues<NoticeType>().Where(SmsTexts.Covers))
            foreach (var language in Texts.Languages) data.Add(type, language);
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryTextInEveryLanguage))]
    public void Every_text_fits_two_segments_even_with_long_names_and_a_long_address(NoticeType type, string language)
    {
        var before = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = Texts.CultureOf(language);
            var when = SmsTexts.When(new DateTimeOffset(2026, 9, 30, 16, 30, 0, TimeSpan.Zero), "Europe/Paris");
            var parts = new SmsParts("Association d'entraide et de solidarité des quartiers nord-est de Marseille", "Marie-Françoise-Élisabeth-Geneviève",
                when, "https://matching-prod-westeurope-0123456789.azurewebsites.net/l");
            var text = SmsTexts.Compose(type, parts);
            Assert.True(Gsm7.IsGsm7(text), text);
            Assert.InRange(Gsm7.Segments(text), 1, SmsSender.MaxSegments);
            Assert.EndsWith(type == NoticeType.MatchEnded ? "/l" : "/l", text);
            var link = SmsTexts.Link(parts.Organisation, "https://matching-prod-westeurope-0123456789.azurewebsites.net/l/" + new string('x', 43));
            Assert.InRange(Gsm7.Segments(link), 1, SmsSender.MaxSegments);
        }
        finally { CultureInfo.CurrentUICulture = before; }
    }

    [Fact]
    public void A_meeting_is_said_in_the_learners_time_and_words()
    {
        var before = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = Texts.French;
            Assert.Equal("mercredi 30 septembre à 18 h 30", SmsTexts.When(new DateTimeOffset(2026, 9, 30, 16, 30, 0, TimeSpan.Zero), "Europe/Paris"));
            Assert.Equal("mercredi 30 septembre à 16 h 30", SmsTexts.When(new DateTimeOffset(2026, 9, 30, 16, 30, 0, TimeSpan.Zero), "Africa/Dakar"));
            CultureInfo.CurrentUICulture = Texts.English;
            Assert.Equal("Wednesday 30 September at 6:30 PM", SmsTexts.When(new DateTimeOffset(2026, 9, 30, 16, 30, 0, TimeSpan.Zero), "Europe/Paris"));
        }
        finally { CultureInfo.CurrentUICulture = before; }
    }

    [Fact]
    public void The_request_signature_is_the_one_the_service_documents()
    {
        // HMAC-SHA256 over "POST\n/sms?api-version=2021-03-07\n{date};{host};{content hash}", key from the connection string.
        var key = Convert.FromBase64String("c2VjcmV0LWtleS1mb3ItdGVzdHM=");
        var uri = new Uri("https://contoso.communication.azure.com/sms?api-version=2021-03-07");
        var body = "{\"message\":\"hi\"}"u8.ToArray();
        using var request = new HttpRequestMessage(HttpMethod.Post, uri);
        SmsSender.Sign(request, uri, body, key, new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero));
        var hash = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(body));
        Assert.Equal("Mon, 07 Dec 2026 10:00:00 GMT", request.Headers.GetValues("x-ms-date").Single());
        Assert.Equal(hash, request.Headers.GetValues("x-ms-content-sha256").Single());
        var expected = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(key,
            System.Text.Encoding.UTF8.GetBytes($"POST\n/sms?api-version=2021-03-07\nMon, 07 Dec 2026 10:00:00 GMT;contoso.communication.azure.com;{hash}")));
        Assert.Equal($"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={expected}", request.Headers.GetValues("Authorization").Single());
    }

    [Fact]
    public void Settings_name_what_is_wrong_and_nothing_set_means_no_sms()
    {
        static SmsSettings Read(string? connection, string? from) => SmsSettings.Read(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Sms:ConnectionString"] = connection, ["Sms:From"] = from }).Build());
        Assert.False(Read(null, null).Configured);
        Assert.True(Read("endpoint=https://x.communication.azure.com/;accesskey=c2VjcmV0", "+33700000001").Configured);
        Assert.True(Read("endpoint=https://x.communication.azure.com/;accesskey=c2VjcmV0", "Matching").Configured);
        Assert.Contains("endpoint", Assert.Throws<InvalidOperationException>(() => Read("accesskey=c2VjcmV0", "+33700000001")).Message);
        Assert.Contains("accesskey", Assert.Throws<InvalidOperationException>(() => Read("endpoint=https://x/;accesskey=not base64!", "+33700000001")).Message);
        Assert.Contains("Sms:From", Assert.Throws<InvalidOperationException>(() => Read("endpoint=https://x/;accesskey=c2VjcmV0", "0612345678")).Message);
    }
}
