namespace Matching.Platform;

/// <summary>Collects field errors so that one answer names every problem, not only the first.</summary>
public sealed class Validation
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public Validation Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
        return this;
    }

    public Validation Require(bool condition, string field, string message) => condition ? this : Add(field, message);

    public Validation Range(long value, long min, long max, string field) =>
        Require(value >= min && value <= max, field, Texts.Format("Must be between {0} and {1}.", min, max));

    /// <summary>
    /// A one-line text (a name, a title): <paramref name="min"/> to <paramref name="max"/> characters, not only spaces, and no
    /// control character (a line break in a name would reach a mail's header). Each rule broken is named on its own.
    /// </summary>
    public Validation Line(string? value, string field, int min, int max, string? what = null)
    {
        if (value is null && min == 0) return this;
        Require(value is not null && value.Length >= min && value.Length <= max && (min == 0 || value.Trim().Length > 0), field,
            what ?? Texts.Format("{0} to {1} characters.", min, max));
        return Require(value is null || !value.Any(char.IsControl), field, "No control characters (line breaks, tabs and the like).");
    }

    /// <summary>A free text of at most <paramref name="max"/> characters, on several lines if need be, but no other control character.</summary>
    public Validation Note(string? value, string field, int max)
    {
        if (value is null) return this;
        Require(value.Length <= max, field, Texts.Format("At most {0} characters.", max));
        return Require(!value.Any(c => char.IsControl(c) && c is not '\n' and not '\r'), field, "No control characters other than line breaks.");
    }

    public IDictionary<string, string[]> Errors => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    public IResult ToResult() => Problems.Validation(Errors);

    // Query parameters: absent is null; present but unreadable is an error naming the parameter.
    public string? Text(HttpRequest request, string name) => request.Query.TryGetValue(name, out var v) ? v.ToString() : null;

    public int? Int(HttpRequest request, string name) =>
        Parse(request, name, t => int.TryParse(t, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : (int?)null, "A whole number.");

    public double? Number(HttpRequest request, string name) =>
        Parse(request, name, t => double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : (double?)null, "A number.");

    public bool? Bool(HttpRequest request, string name) =>
        Parse(request, name, t => bool.TryParse(t, out var v) ? v : (bool?)null, "true or false.");

    public DateTimeOffset? Time(HttpRequest request, string name) =>
        Parse(request, name, t => Instants.TryParse(t, out var v) ? v : (DateTimeOffset?)null, Instants.Expected);

    private T? Parse<T>(HttpRequest request, string name, Func<string, T?> parse, string message) where T : struct
    {
        if (Text(request, name) is not { } text) return null;
        var value = parse(text);
        if (value is null) Add(name, message);
        return value;
    }
}
