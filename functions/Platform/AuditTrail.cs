using Azure.Data.Tables;
using Matching.Storage;

namespace Matching.Platform;

/// <summary>One entry of the audit trail, with its sentence in the reader's language.</summary>
/// <param name="Details">Codes completing the action (role, invitation, charter...), null when there are none.</param>
/// <param name="Summary">The entry in a sentence, in the reader's language.</param>
public sealed record AuditEntry(DateTimeOffset At, string Actor, string Action, string? Target, IReadOnlyDictionary<string, string>? Details, string Summary);

/// <summary>
/// Who did what, when, per organisation (<c>audit</c> table, partition = the organisation, newest first): ids, codes
/// and actions only, no names, emails or free text. Read back, each entry also says it in a sentence in the reader's
/// language (<see cref="AuditEntry.Summary"/>); the codes stay codes for tools. Every feature writes to it, so it sits in Platform.
/// </summary>
public sealed class AuditTrail(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time)
{
    public const string Table = "audit";
    private TableClient Client => tables.GetTableClient(Table);

    /// <param name="details">Codes that complete the action (<c>role</c>, <c>from</c>, <c>invitation</c>, <c>charter</c>), never free text.</param>
    public async Task WriteAsync(string organisationId, string actor, string action, string? target, CancellationToken ct,
        IReadOnlyDictionary<string, string>? details = null)
    {
        await provisioner.EnsureReadyAsync(ct);
        var now = time.GetUtcNow();
        // Reverse ticks: a partition query returns the newest first.
        var key = $"{DateTimeOffset.MaxValue.UtcTicks - now.UtcTicks:D19}-{Ids.New()[..8]}";
        await Client.AddEntityAsync(new TableEntity(organisationId, key)
        {
            ["At"] = now, ["Actor"] = actor, ["Action"] = action, ["Target"] = target,
            ["Details"] = details is { Count: > 0 } ? System.Text.Json.JsonSerializer.Serialize(details) : null,
        }, ct);
    }

    /// <summary>The entry as a sentence in the current language: <c>audit.{action}</c> with its ids and codes put in (roles in words).</summary>
    public static string Summary(string actor, string action, string? target, IReadOnlyDictionary<string, string>? details)
    {
        var template = Texts.Localize("audit." + action);
        if (template == "audit." + action) return $"{action} {target}".Trim(); // an action this build does not know (written by a newer one)
        var text = template.Replace("{actor}", actor, StringComparison.Ordinal).Replace("{target}", target ?? "", StringComparison.Ordinal);
        foreach (var (name, value) in details ?? new Dictionary<string, string>())
            text = text.Replace("{" + name + "}", name is "role" or "from" ? Texts.Localize("role." + value) : value, StringComparison.Ordinal);
        return text;
    }

    public async Task<IReadOnlyList<AuditEntry>> ListAsync(string organisationId, int max, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var list = new List<AuditEntry>();
        await foreach (var e in Client.QueryAsync<TableEntity>(e => e.PartitionKey == organisationId, maxPerPage: max, cancellationToken: ct))
        {
            var details = e.GetString("Details") is { } json ? System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(json) : null;
            var (actor, action, target) = (e.GetString("Actor"), e.GetString("Action"), e.GetString("Target"));
            list.Add(new AuditEntry(e.GetDateTimeOffset("At") ?? default, actor, action, target, details, Summary(actor, action, target, details)));
            if (list.Count >= max) break;
        }
        return list;
    }
}
