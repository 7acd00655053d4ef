namespace Matching.Pages;

/// <summary>
/// What a posted form holds, read so that a value the form never offers becomes one the rule refuses (never a silent
/// default): the service's rule then answers it in the API's own words.
/// </summary>
public static class FormValues
{
    /// <summary>An enum by its name (any case, not a number); anything else is a value outside it.</summary>
    public static T Named<T>(string? value) where T : struct, Enum =>
        Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && !int.TryParse(value, out _) ? parsed : (T)(object)(-1);
}
