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
        Require(value >= min && value <= max, field, $"Must be between {min} and {max}.");

    public IDictionary<string, string[]> Errors => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    public IResult ToResult() => Problems.Validation(Errors);
}
