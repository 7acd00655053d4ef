
namespace Matching.Pages;

/// <summary>
/// The words of the pages come from the same texts as the API's problems and the mails (functions/Resources), written in
/// English in the code and read in the reader's language: <c>@T(english)</c> and <c>@F(pattern, x)</c> in a page.
/// </summary>
public static class Words
{
    public static string T(string english) => Texts.Localize(english);

    public static string F(string englishPattern, params object[] args) => Texts.Format(englishPattern, args);
}
