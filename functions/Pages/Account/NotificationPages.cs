using Matching.Notifications;
using Matching.Security;

namespace Matching.Pages.Account;

/// <summary>
/// How a signed-in person is told (<c>/moi/notifications</c>): mail on or off, language, time zone, quiet hours, and for
/// staff the address to write to. The same book and rule as the API's <c>PUT /api/me/notification-preferences</c>.
/// </summary>
[RequireRoles(Role.Mentor, Role.Ngo, Role.Provider, Role.Admin)]
public sealed class NotificationPages(PreferenceBook book)
{
    public const string Path = "/moi/notifications";

    [Function("MyNotifications"), Page(PageAccess.Member)]
    public async Task<IResult> ShowAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "moi/notifications")] HttpRequest req, CancellationToken ct)
    {
        var me = PreferenceFunctions.Me(req.HttpContext);
        return Show(await book.GetAsync(me, ct), me.Kind, req.Query.ContainsKey("saved"), null, StatusCodes.Status200OK);
    }

    [Function("SaveMyNotifications"), Page(PageAccess.Member)]
    public async Task<IResult> SaveAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "moi/notifications")] HttpRequest req, CancellationToken ct)
    {
        var me = PreferenceFunctions.Me(req.HttpContext);
        var form = await req.ReadFormAsync(ct);
        var current = await book.GetAsync(me, ct);
        // Channels the page does not show (SMS, for people with no phone on record) are kept as they were.
        var channels = current.Channels.Where(c => c != Channel.Email).ToList();
        if (form["email-on"] == "on") channels.Insert(0, Channel.Email);
        var input = new NotificationPreferences(channels, form["language"].ToString(), form["timeZone"].ToString(),
            form["quiet"] == "on" ? new QuietHours(form["quietFrom"].ToString(), form["quietTo"].ToString()) : null,
            me.Kind == RecipientKind.Staff && form["email"].ToString().Trim() is { Length: > 0 } address ? address : null);
        var v = PreferenceRules.Validate(input, me.Kind);
        if (!v.IsValid) return Show(input, me.Kind, false, PageOutcome.ProblemOf(v.ToResult()), StatusCodes.Status422UnprocessableEntity);
        await book.SaveAsync(me, req.HttpContext.Caller().Role, input, ct);
        return PageResults.SeeOther($"{Path}?saved=1");
    }

    private static IResult Show(NotificationPreferences preferences, RecipientKind kind, bool saved, PageProblem? problem, int status) =>
        PageResults.Show<NotificationsPage>(new Dictionary<string, object>
        {
            ["Preferences"] = preferences, ["Staff"] = kind == RecipientKind.Staff, ["Saved"] = saved, ["Problem"] = problem!,
        }, status);
}
