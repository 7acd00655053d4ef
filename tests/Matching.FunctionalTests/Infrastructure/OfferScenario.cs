using System.Net.Http.Json;
using System.Text.Json;
using Matching.Security;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>Helpers to create offers and claims over HTTP, as a provider and NGOs would.</summary>
public static class OfferScenario
{
    public static string NewOrg(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    public static object Details(int seats = 10, string format = "virtualClass", int? perNgoCap = null, bool requiresNamed = false,
        int holdMinutes = 60, DateTimeOffset? opens = null, DateTimeOffset? closes = null, object? venue = null,
        string title = "Français langue étrangère A2", string topic = "French as a foreign language", string language = "fr") => new
    {
        title,
        description = "Cours en classe virtuelle, 6 heures par semaine.",
        topics = new object[] { new { label = topic, formacode = "15235" } },
        languages = new[] { language },
        format,
        totalSeats = seats,
        venue,
        claimOpensAt = opens ?? DateTimeOffset.UtcNow.AddDays(-1),
        claimClosesAt = closes ?? DateTimeOffset.UtcNow.AddDays(30),
        courseStart = "2026-12-01",
        courseEnd = "2026-12-31",
        targetGroups = new[] { "job seekers" },
        perNgoCap,
        holdMinutes,
        requiresNamedBeneficiaries = requiresNamed,
    };

    /// <summary>Creates and opens an offer; returns its id.</summary>
    public static async Task<string> OpenOfferAsync(MatchingApp app, string providerOrg, object details)
    {
        var provider = app.ClientFor(Role.Provider, providerOrg);
        var created = await provider.PostAsJsonAsync("/api/offers", details);
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        (await provider.PostAsync($"/api/offers/{id}/open", null)).EnsureSuccessStatusCode();
        return id;
    }

    public static async Task<HttpResponseMessage> ClaimAsync(HttpClient ngo, string offerId, string key, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/offers/{offerId}/claims") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return await ngo.SendAsync(request);
    }

    /// <summary>The app's answers as the app writes them: camelCase names, enums by their camelCase names.</summary>
    public static readonly JsonSerializerOptions AppJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    /// <summary>A successful answer read into the app's own type (a field the type does not have fails the test).</summary>
    public static async Task<T> Read<T>(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<T>(text, Strict)!;
    }

    /// <summary>An answer already read (a scenario's) as the app's own type.</summary>
    public static T As<T>(JsonElement answer) => answer.Deserialize<T>(Strict)!;

    private static readonly JsonSerializerOptions Strict = new(AppJson) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };

    public static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }
}
