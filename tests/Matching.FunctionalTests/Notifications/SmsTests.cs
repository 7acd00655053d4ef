using System.Net;
using System.Net.Http.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Learners;
using Matching.Notifications.Sms;
using Matching.Security;
using Microsoft.Extensions.DependencyInjection;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// A learner whose only contact is a phone: their link by SMS when their association gives it, then their meetings by
/// SMS, through the REST API of Azure Communication Services, signed, into the SMS sink (which verifies the signature).
/// </summary>
public sealed class SmsTests() : OwnStorageTests(SmsSink.Shared.Settings)
{
    private const string Language = "to";

    private static string NewPhone() => "+336" + Random.Shared.Next(10_000_000, 99_999_999);

    [Fact]
    public async Task The_link_goes_by_sms_in_french_within_two_segments_and_opens_the_learners_page()
    {
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var phone = NewPhone();
        var learner = await LearnerAsync(ngo, LearnerProfile(Language, contact: new { kind = "phone", value = phone }), name: "Yusuf");

        var shown = await Read<AccessLinkView>(await ngo.PostAsync($"/api/learners/{learner}/access-link", null));
        Assert.False(shown.SentBySms);
        Assert.Empty(await SmsSink.Shared.ForAsync(phone, within: TimeSpan.Zero)); // shown only, not sent

        var sent = await Read<AccessLinkView>(await ngo.PostAsJsonAsync($"/api/learners/{learner}/access-link", new { sendBySms = true }));
        Assert.True(sent.SentBySms, sent.NotSentBecause);
        Assert.EndsWith("/l/" + sent.Token[IAccessLinks.Prefix.Length..], sent.Url);
        var text = Assert.Single(await SmsSink.Shared.ForAsync(phone));
        Assert.Equal(sent.SmsText, text.Message);
        Assert.Contains(sent.Url, text.Message);
        Assert.Contains("voici votre page Matching", text.Message);
        Assert.True(text.Gsm7);
        Assert.InRange(text.Segments, 1, 2);
        Assert.Equal(SmsSink.From, text.From);

        // The link in the text opens the page; the one shown before it is revoked by the new one.
        var browser = new PageClient(App);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(new Uri(text.Message[text.Message.IndexOf("http", StringComparison.Ordinal)..].Trim()).PathAndQuery)).Status);
        Assert.Contains("Bonjour Yusuf", (await browser.GetAsync("/l")).Text);
        Assert.Equal(HttpStatusCode.NotFound, (await new PageClient(App).GetAsync($"/l/{shown.Token[IAccessLinks.Prefix.Length..]}")).Status);

        // A learner reached by email: the link is shown, and the answer says why it was not sent.
        var byMail = await LearnerAsync(ngo, LearnerProfile(Language, contact: new { kind = "email", value = "amina@example.org" }));
        var notSent = await Read<AccessLinkView>(await ngo.PostAsJsonAsync($"/api/learners/{byMail}/access-link", new { sendBySms = true }));
        Assert.False(notSent.SentBySms);
        Assert.Equal("The learner's contact is not a phone number.", notSent.NotSentBecause);
    }

    [Fact]
    public async Task A_learner_reached_by_phone_hears_of_a_proposed_meeting_by_sms_unless_they_turned_sms_off()
    {
        var mentor = await MentorAsync(App, "Nadia", Language, ["cvReview"]);
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var phone = NewPhone();
        var learner = await LearnerAsync(ngo, LearnerProfile(Language, contact: new { kind = "phone", value = phone }), name: "Yusuf");
        var requestId = await MatchedAsync(ngo, mentor, learner);
        var matched = await SmsSink.Shared.ForAsync(phone);
        Assert.Contains("bonne nouvelle, Nadia sera votre mentor", Assert.Single(matched).Message);

        var start = NextInParis(DayOfWeek.Monday, 18, 30);
        (await mentor.PostAsJsonAsync($"/api/matches/{requestId}/sessions", new { start, durationMinutes = 60, mode = "phone" })).EnsureSuccessStatusCode();
        var texts = await SmsSink.Shared.ForAsync(phone, atLeast: 2);
        var proposed = texts[^1].Message;
        Assert.Contains($"Nadia vous propose un rendez-vous le {start.ToString("dddd d MMMM", Texts.French)} à 18 h 30", proposed);
        Assert.EndsWith("/l", proposed);
        Assert.All(texts, t => Assert.True(t.Gsm7 && t.Segments <= 2, t.Message));

        // SMS turned off (by the NGO, for the learner): the next change is not texted.
        (await ngo.PutAsJsonAsync($"/api/learners/{learner}/notification-preferences",
            new { channels = new[] { "email" }, language = "fr", timeZone = "Europe/Paris" })).EnsureSuccessStatusCode();
        var sessions = await Json(await mentor.GetAsync($"/api/matches/{requestId}/sessions"));
        (await mentor.PostAsync($"/api/matches/{requestId}/sessions/{sessions[0].GetProperty("id").GetString()}/cancel", null)).EnsureSuccessStatusCode();
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(2, (await SmsSink.Shared.ForAsync(phone, within: TimeSpan.Zero)).Count);
    }

    [Fact]
    public async Task The_sink_refuses_a_text_signed_with_another_key_and_the_sender_says_it_was_not_sent()
    {
        var endpoint = new Uri($"http://127.0.0.1:{SmsSink.Shared.Port}/");
        var wrongKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var sender = new SmsSender(App.Services.GetRequiredService<IHttpClientFactory>(), new SmsSettings(endpoint, wrongKey, SmsSink.From), TimeProvider.System);
        var phone = NewPhone();
        var refused = await Assert.ThrowsAsync<SmsNotSentException>(() => sender.SendAsync(phone, "Bonjour", CancellationToken.None));
        Assert.True(refused.Permanent);
        Assert.Empty(await SmsSink.Shared.ForAsync(phone, within: TimeSpan.Zero));

        var right = new SmsSender(App.Services.GetRequiredService<IHttpClientFactory>(),
            new SmsSettings(endpoint, Convert.FromBase64String(SmsSink.Shared.AccessKey), SmsSink.From), TimeProvider.System);
        await right.SendAsync(phone, "Bonjour", CancellationToken.None);
        Assert.Equal("Bonjour", Assert.Single(await SmsSink.Shared.ForAsync(phone)).Message);
        // More than two segments, or outside GSM-7: refused before anything is sent.
        await Assert.ThrowsAsync<SmsNotSentException>(() => right.SendAsync(phone, new string('a', 307), CancellationToken.None));
        await Assert.ThrowsAsync<SmsNotSentException>(() => right.SendAsync(phone, "Bonjour 😀", CancellationToken.None));
    }
}
