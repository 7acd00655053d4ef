using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;

namespace Matching.FunctionalTests;

/// <summary>Queue functions in the local host: the app's own listener, with the test host.json's semantics
/// (maxDequeueCount 3, visibilityTimeout 0.3 s).</summary>
[Collection(StorageCollection.Name)]
public sealed class LocalQueueTests(StorageFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private MatchingApp App => fixture.App;

    [Fact]
    public async Task Accepted_ping_is_handled_by_the_queue_function_and_lands_in_table_storage()
    {
        var org = "org-" + Guid.NewGuid().ToString("N")[..8];
        var client = App.ClientFor(Role.Provider, org);
        var response = await client.PostAsJsonAsync("/api/diagnostics/pings", new { failFirstAttempts = 0 });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = accepted.GetProperty("id").GetString()!;
        Assert.Equal($"/api/diagnostics/pings/{id}", response.Headers.Location!.ToString());

        var row = await Eventually.Until(() => Row(org, id), e => e?.GetString("Status") == "handled", Patience, "the ping to be handled");
        Assert.Equal(1L, row!.GetInt64("Attempts"));
        var view = await client.GetFromJsonAsync<JsonElement>(response.Headers.Location);
        Assert.Equal("handled", view.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Failed_delivery_is_retried_after_the_visibility_timeout()
    {
        var org = "org-" + Guid.NewGuid().ToString("N")[..8];
        var response = await App.ClientFor(Role.Ngo, org).PostAsJsonAsync("/api/diagnostics/pings", new { failFirstAttempts = 2 });
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var row = await Eventually.Until(() => Row(org, id), e => e?.GetString("Status") == "handled", Patience, "the third delivery");
        Assert.Equal(3L, row!.GetInt64("Attempts"));
    }

    [Fact]
    public async Task Message_failing_every_delivery_moves_to_the_poison_queue_after_maxDequeueCount()
    {
        var org = "org-" + Guid.NewGuid().ToString("N")[..8];
        var response = await App.ClientFor(Role.Ngo, org).PostAsJsonAsync("/api/diagnostics/pings", new { failFirstAttempts = 10 });
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var poison = App.Queue("diagnostic-pings-poison");
        await Eventually.Until(async () => await PoisonHas(poison, id), found => found, Patience, "the message in diagnostic-pings-poison");
        var row = await Row(org, id);
        Assert.Equal("queued", row!.GetString("Status")); // never handled: it failed three times, then stopped
    }

    [Fact]
    public async Task Malformed_message_is_poisoned_not_lost()
    {
        var marker = "malformed-" + Guid.NewGuid().ToString("N");
        await App.Queue("diagnostic-pings").SendMessageAsync($"{{\"not-a-ping\":\"{marker}\"}}");
        await Eventually.Until(async () => await PoisonHas(App.Queue("diagnostic-pings-poison"), marker), found => found, Patience,
            "the malformed message in the poison queue");
    }

    private async Task<TableEntity?> Row(string org, string id)
    {
        var found = await App.Table("diagnosticpings").GetEntityIfExistsAsync<TableEntity>(org, id);
        return found.HasValue ? found.Value : null;
    }

    private static async Task<bool> PoisonHas(Azure.Storage.Queues.QueueClient poison, string text)
    {
        if (!(await poison.ExistsAsync()).Value) return false;
        var peeked = await poison.PeekMessagesAsync(32);
        return peeked.Value.Any(m => m.Body.ToString().Contains(text, StringComparison.Ordinal));
    }
}

/// <summary>A message already delivered more than maxDequeueCount times goes to poison without running (own Azurite: no other listener).</summary>
public sealed class OverDeliveredMessageTests
{
    [Fact]
    public async Task A_message_over_the_dequeue_limit_is_poisoned_without_running()
    {
        await using var azurite = await Azurite.StartAsync();
        var org = "org-over";
        var id = Guid.NewGuid().ToString("N");
        var table = new TableClient(azurite.ConnectionString, "diagnosticpings");
        await table.CreateIfNotExistsAsync();
        await table.AddEntityAsync(new TableEntity(org, id) { ["Status"] = "queued", ["Attempts"] = 0L, ["AcceptedAt"] = DateTimeOffset.UtcNow });
        var queue = new Azure.Storage.Queues.QueueClient(azurite.ConnectionString, "diagnostic-pings",
            new Azure.Storage.Queues.QueueClientOptions { MessageEncoding = Azure.Storage.Queues.QueueMessageEncoding.Base64 });
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync(JsonSerializer.Serialize(new { organisationId = org, pingId = id, failFirstAttempts = 0 }));
        for (var i = 0; i < 3; i++) // three deliveries that never finished (as after crashes): the next is the fourth
        {
            var m = (await queue.ReceiveMessageAsync(TimeSpan.FromSeconds(30))).Value;
            Assert.NotNull(m);
            await queue.UpdateMessageAsync(m.MessageId, m.PopReceipt, visibilityTimeout: TimeSpan.Zero); // visible again at once
        }

        await using var app = new MatchingApp(azurite.ConnectionString, new Dictionary<string, string?> { ["Matching:HostJsonPath"] = MatchingApp.FastHostJson() });
        _ = app.Server; // maxDequeueCount 3
        var poison = app.Queue("diagnostic-pings-poison");
        await Eventually.Until(async () => (await poison.ExistsAsync()).Value && (await poison.PeekMessagesAsync(5)).Value.Any(m => m.Body.ToString().Contains(id)),
            found => found, TimeSpan.FromSeconds(15), "the over-delivered message in the poison queue");
        Assert.Equal("queued", (await table.GetEntityAsync<TableEntity>(org, id)).Value.GetString("Status")); // the handler never ran
    }
}
