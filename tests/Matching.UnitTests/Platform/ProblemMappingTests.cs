using System.Net.Sockets;
using System.Text.Json;
using Azure;
using Matching.Platform;
using Matching.Storage;
using Microsoft.AspNetCore.Http;

namespace Matching.UnitTests;

public sealed class ProblemMappingTests
{
    private sealed record Body(int Seats, Inner Claim);
    private sealed record Inner(string Note);
    private sealed class Required { public required int Seats { get; init; } public required string Title { get; init; } }

    private static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    private static (int, Microsoft.AspNetCore.Mvc.ProblemDetails) MapJson<T>(string json)
    {
        var ex = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<T>(json, Strict));
        return ProblemExceptionHandler.Map(new BadHttpRequestException("bad", ex));
    }

    [Fact]
    public void Wrong_type_names_the_nested_field()
    {
        var (status, problem) = MapJson<Body>("""{"seats":1,"claim":{"note":5}}""");
        Assert.Equal(400, status);
        Assert.Equal(ProblemTypes.Validation, problem.Type);
        Assert.Contains("claim.note", ((HttpValidationProblemDetails)problem).Errors.Keys);
    }

    [Fact]
    public void Unknown_field_is_named()
    {
        var (_, problem) = MapJson<Body>("""{"seats":1,"seat":2}""");
        Assert.Equal(["Is not a known field."], ((HttpValidationProblemDetails)problem).Errors["seat"]);
    }

    [Fact]
    public void Missing_required_fields_are_each_named()
    {
        var (_, problem) = MapJson<Required>("""{}""");
        var errors = ((HttpValidationProblemDetails)problem).Errors;
        Assert.Contains("seats", errors.Keys, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("title", errors.Keys, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public void Malformed_json_is_invalid_json_with_a_position()
    {
        var (status, problem) = MapJson<Body>("""{"seats":1,""");
        Assert.Equal(400, status);
        Assert.Equal(ProblemTypes.InvalidJson, problem.Type);
        Assert.Contains("line 1", problem.Detail);
    }

    [Fact]
    public void Storage_outages_are_503_lost_races_409_and_other_failures_500()
    {
        Assert.Equal(503, ProblemExceptionHandler.Map(new RequestFailedException(0, "no response")).Status);
        Assert.Equal(503, ProblemExceptionHandler.Map(new AggregateException(new HttpRequestException("refused", new SocketException()))).Status);
        Assert.Equal(503, ProblemExceptionHandler.Map(new RequestFailedException(503, "busy")).Status);
        // A lost optimistic-concurrency race is the caller's to retry (issue 19 item 2), not a server fault.
        Assert.Equal(409, ProblemExceptionHandler.Map(new RequestFailedException(409, "conflict")).Status);
        Assert.Equal(409, ProblemExceptionHandler.Map(new RequestFailedException(412, "precondition")).Status);
        Assert.Equal(500, ProblemExceptionHandler.Map(new RequestFailedException(400, "bad request")).Status);
        Assert.Equal(500, ProblemExceptionHandler.Map(new InvalidOperationException()).Status);
        Assert.False(StorageFailure.IsUnavailable(new RequestFailedException(412, "precondition")));
    }

    [Fact]
    public void Validation_collects_every_error()
    {
        var v = new Validation().Range(11, 0, 10, "a").Require(false, "b", "Needed.").Require(true, "c", "never");
        Assert.False(v.IsValid);
        Assert.Equal(["a", "b"], v.Errors.Keys.Order());
    }
}
