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
