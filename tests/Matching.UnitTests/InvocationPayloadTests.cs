using System.Text.Json;
using Matching.Hosting;

namespace Matching.UnitTests;

public sealed class InvocationPayloadTests
{
    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public void Double_encoded_text_is_decoded_to_the_original_json()
    {
        var payload = Parse("""{"Data":{"msg":"\"{\\\"a\\\":1}\""},"Metadata":{"DequeueCount":"2","Id":"\"3f2\""}}""");
        var message = InvocationPayload.ReadQueueMessage(payload);
        Assert.Equal("""{"a":1}""", message.Body);
        Assert.Equal(2, message.DequeueCount);
        Assert.Equal("3f2", message.Id);
    }

    [Fact]
    public void Single_encoded_text_and_numeric_dequeue_count()
    {
        var message = InvocationPayload.ReadQueueMessage(Parse("""{"Data":{"msg":"{\"a\":1}"},"Metadata":{"DequeueCount":4,"Id":"x"}}"""));
        Assert.Equal("""{"a":1}""", message.Body);
        Assert.Equal(4, message.DequeueCount);
        Assert.Equal("x", message.Id);
    }

    [Fact]
    public void Plain_text_message_stays_text()
    {
        var message = InvocationPayload.ReadQueueMessage(Parse("""{"Data":{"msg":"hello"}}"""));
        Assert.Equal("hello", message.Body);
        Assert.Equal(1, message.DequeueCount);
    }

    [Fact]
    public void Object_message_is_kept_as_json_and_keys_are_case_insensitive()
    {
        var message = InvocationPayload.ReadQueueMessage(Parse("""{"data":{"msg":{"a":[1,2]}},"metadata":{"dequeueCount":"\"3\"","InsertionTime":"2025-01-01T10:00:00+00:00"}}"""));
        Assert.Equal("""{"a":[1,2]}""", message.Body);
        Assert.Equal(3, message.DequeueCount);
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 10, 0, 0, TimeSpan.Zero), message.InsertedOn);
    }

    [Theory]
    [InlineData("""{"Metadata":{}}""")]
    [InlineData("""{"Data":{"other":"x"}}""")]
    [InlineData("""{"Data":{"msg":42}}""")]
    [InlineData("""{"Data":{"msg":"x"},"Metadata":{"DequeueCount":"many"}}""")]
    public void Malformed_payloads_are_rejected(string json)
    {
        Assert.Throws<InvalidInvocationException>(() => InvocationPayload.ReadQueueMessage(Parse(json)));
    }

    [Fact]
    public void Timer_payload_reads_past_due_and_schedule_status()
    {
        var timer = InvocationPayload.ReadTimer(Parse(
            """{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2025-01-01T00:00:00Z","Next":"2025-01-01T00:05:00Z","LastUpdated":"2025-01-01T00:00:00Z"},"IsPastDue":true}}}"""));
        Assert.True(timer.IsPastDue);
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 5, 0, TimeSpan.Zero), timer.Next);
    }

    [Fact]
    public void Timer_payload_with_null_status()
    {
        var timer = InvocationPayload.ReadTimer(Parse("""{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}}}"""));
        Assert.False(timer.IsPastDue);
        Assert.Null(timer.Last);
    }
}
