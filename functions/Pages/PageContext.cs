namespace Matching.Pages;

/// <summary>What every page's layout knows of the request it answers: the reader's language, where they are, and the
/// anti-forgery token its forms carry (<see cref="FormToken"/>).</summary>
public sealed record PageContext(string Language, string Path, string FormField, string FormToken);
