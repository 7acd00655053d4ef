using Matching.Platform;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Matching.UnitTests;

public sealed class LogFormatTests
{
    private static string Write(LogLevel level, string message, Exception? exception, params (string, object)[] scope)
    {
        var scopes = new LoggerExternalScopeProvider();
        using var _ = scope.Length > 0 ? scopes.Push(new LogScope(scope)) : null;
        var writer = new StringWriter();
        new LineFormatter().Write(new LogEntry<string>(level, "Matching.Hosting.HttpFunctionGate", default, message, exception, (s, _) => s), scopes, writer);
        return writer.ToString();
    }

    [Fact]
    public void A_local_log_line_has_time_level_category_message_and_correlation_id_and_no_type_names()
    {
        var line = Write(LogLevel.Information, "GET /api/health answered 200 in 1.3 ms", null, ("CorrelationId", "9aee0bca437da4c4f8664dc06e16c07a"));
        Assert.Matches(@"^\d{2}:\d{2}:\d{2}\.\d{3} info Matching\.Hosting\.HttpFunctionGate: GET /api/health answered 200 in 1\.3 ms \[9aee0bca437da4c4f8664dc06e16c07a\]\r?\n$", line);
        Assert.DoesNotContain("Dictionary", line);
        Assert.DoesNotContain("System.", line);
    }

    [Fact]
    public void An_exception_is_named_by_type_only_and_a_message_stays_on_one_line()
    {
        var line = Write(LogLevel.Error, "first\nsecond", new InvalidOperationException("learner Amina's note"));
        Assert.Contains(" fail ", line);
        Assert.Contains("first second (InvalidOperationException)", line);
        Assert.DoesNotContain("Amina", line);
        Assert.Single(line.TrimEnd().Split('\n'));
    }

    [Fact]
    public void A_scope_prints_as_key_value_pairs() =>
        Assert.Equal("FunctionName=RecordDiagnosticPing DequeueCount=2", new LogScope(("FunctionName", "RecordDiagnosticPing"), ("DequeueCount", 2L)).ToString());
}
