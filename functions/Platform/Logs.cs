using System.Collections;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Matching.Platform;

/// <summary>
/// A logging scope that structured providers read as properties (CorrelationId, FunctionName...) and a console
/// prints as <c>key=value</c>, never as a dictionary's type name.
/// </summary>
public sealed class LogScope(params (string Key, object Value)[] items) : IReadOnlyList<KeyValuePair<string, object>>
{
    private readonly KeyValuePair<string, object>[] _items = items.Select(i => new KeyValuePair<string, object>(i.Key, i.Value)).ToArray();

    public string? CorrelationId => _items.FirstOrDefault(i => i.Key == "CorrelationId").Value as string;
    public KeyValuePair<string, object> this[int index] => _items[index];
    public int Count => _items.Length;
    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object>>)_items).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    public override string ToString() => string.Join(' ', _items.Select(i => $"{i.Key}={i.Value}"));
}

/// <summary>
/// The local host's console: one line per event, readable — UTC time, level, category, message, and the
/// correlation id in brackets. Exceptions are named by type only (a message can quote request data). JSON
/// (<c>Matching:JsonLogs=true</c>) stays available for tools.
/// </summary>
public sealed class LineFormatter() : ConsoleFormatter(Name)
{
    public new const string Name = "line";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null) return;
        string? correlation = null;
        scopeProvider?.ForEachScope((scope, _) => { if (scope is LogScope s && s.CorrelationId is { } id) correlation = id; }, (object?)null);
        textWriter.Write(DateTime.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture));
        textWriter.Write(logEntry.LogLevel switch
        {
            LogLevel.Trace => " trce ", LogLevel.Debug => " dbug ", LogLevel.Information => " info ", LogLevel.Warning => " warn ",
            LogLevel.Error => " fail ", LogLevel.Critical => " crit ", _ => " ",
        });
        textWriter.Write(logEntry.Category);
        textWriter.Write(": ");
        textWriter.Write(message?.ReplaceLineEndings(" "));
        if (logEntry.Exception is { } ex) textWriter.Write($" ({ex.GetType().Name})");
        if (correlation is not null) textWriter.Write($" [{correlation}]");
        textWriter.WriteLine();
    }
}
