using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Matching.FunctionalTests.Infrastructure;

namespace Matching.FunctionalTests;

/// <summary>The custom-handler adapter as the Functions host calls it: POST /{FunctionName} with every payload shape.</summary>
[Collection(StorageCollection.Name)]
public sealed class InvocationTests(StorageFixture fixture)
{
    private MatchingApp Hosted => fixture.HostedApp;

    public static TheoryData<string, string> Shapes => new()
    {
        // name, payload template: {MSG} is the message JSON
        { "double-encoded text, DequeueCount as string, quoted Id",
          """{"Data":{"msg":"{DOUBLE}"},"Metadata":{"DequeueCount":"1","Id":"\"3f2a\"","PopReceipt":"\"AgAA\"","InsertionTime":"2025-01-01T10:00:00+00:00","sys":{"MethodName":"RecordDiagnosticPing"}}}""" },
        { "single-encoded text, DequeueCount as number",
          """{"Data":{"msg":{SINGLE}},"Metadata":{"DequeueCount":1,"Id":"3f2b"}}""" },
        { "object message, no metadata",
          """{"Data":{"msg":{MSG}}}""" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Queue_invocation_runs_the_handler_for_every_payload_shape(string shape, string template)
    {
        var (org, id) = await SeedPing();
        var message = JsonSerializer.Serialize(new { organisationId = org, pingId = id, failFirstAttempts = 0 });
        var single = JsonSerializer.Serialize(message);
        var payload = template.Replace("{DOUBLE}", JsonSerializer.Serialize(single)[1..^1]).Replace("{SINGLE}", single).Replace("{MSG}", message);

        var response = await Post("/RecordDiagnosticPing", payload);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{shape}: {await response.Content.ReadAsStringAsync()}");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Object, body.GetProperty("Outputs").ValueKind);
        Assert.Equal(JsonValueKind.Array, body.GetProperty("Logs").ValueKind);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("ReturnValue").ValueKind);
        var row = (await Table.GetEntityAsync<TableEntity>(org, id)).Value;
        Assert.Equal("handled", row.GetString("Status"));
    }

    [Fact]
    public async Task Failing_handler_answers_non_2xx_so_the_host_retries()
    {
        var (org, id) = await SeedPing();
        var message = JsonSerializer.Serialize(new { organisationId = org, pingId = id, failFirstAttempts = 2 });
        var payload = JsonSerializer.Serialize(new { Data = new { msg = message }, Metadata = new { DequeueCount = "2" } });
        var response = await Post("/RecordDiagnosticPing", payload);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("queued", (await Table.GetEntityAsync<TableEntity>(org, id)).Value.GetString("Status"));

        payload = JsonSerializer.Serialize(new { Data = new { msg = message }, Metadata = new { DequeueCount = 3 } });
        Assert.Equal(HttpStatusCode.OK, (await Post("/RecordDiagnosticPing", payload)).StatusCode);
        Assert.Equal(3L, (await Table.GetEntityAsync<TableEntity>(org, id)).Value.GetInt64("Attempts"));
    }

    [Theory]
    [InlineData("/RecordDiagnosticPing", "{\"Metadata\":{}}", HttpStatusCode.BadRequest)]
    [InlineData("/RecordDiagnosticPing", "{not json", HttpStatusCode.BadRequest)]
    [InlineData("/NoSuchFunction", "{\"Data\":{}}", HttpStatusCode.NotFound)]
    public async Task Bad_invocations_are_rejected(string path, string payload, HttpStatusCode expected)
    {
        Assert.Equal(expected, (await Post(path, payload)).StatusCode);
    }

    [Fact]
    public async Task Timer_invocation_purges_old_pings_and_keeps_recent_ones()
    {
        var org = "org-" + Guid.NewGuid().ToString("N")[..8];
        await Table.AddEntityAsync(new TableEntity(org, "old") { ["Status"] = "handled", ["AcceptedAt"] = DateTimeOffset.UtcNow.AddDays(-8) });
        await Table.AddEntityAsync(new TableEntity(org, "recent") { ["Status"] = "handled", ["AcceptedAt"] = DateTimeOffset.UtcNow.AddDays(-1) });
        var payload = """{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}},"Metadata":{"sys":{"MethodName":"PurgeDiagnosticPings"}}}""";

        Assert.Equal(HttpStatusCode.OK, (await Post("/PurgeDiagnosticPings", payload)).StatusCode);
        Assert.False((await Table.GetEntityIfExistsAsync<TableEntity>(org, "old")).HasValue);
        Assert.True((await Table.GetEntityIfExistsAsync<TableEntity>(org, "recent")).HasValue);
    }

    private TableClient Table => Hosted.Table("diagnosticpings");

    private async Task<(string Org, string Id)> SeedPing()
    {
        var org = "org-" + Guid.NewGuid().ToString("N")[..8];
        var id = Guid.NewGuid().ToString("N");
        await Table.CreateIfNotExistsAsync();
        await Table.AddEntityAsync(new TableEntity(org, id) { ["Status"] = "queued", ["Attempts"] = 0L, ["AcceptedAt"] = DateTimeOffset.UtcNow });
        return (org, id);
    }

    private Task<HttpResponseMessage> Post(string path, string payload) =>
        Hosted.CreateClient().PostAsync(path, new StringContent(payload, Encoding.UTF8, "application/json"));
}
