using System.Net.Http.Json;
using System.Security.Cryptography;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>
/// The SMS sink scripts/run.sh starts (tools/sms-sink, Node): it speaks the REST API of Azure Communication Services SMS
/// and verifies each request's HMAC signature with its own code, so a text the tests see arrived signed as the real
/// service requires. One per test process, on a free port, with a key of its own.
/// </summary>
public sealed class SmsSink
{
    public sealed record Text(string Id, string From, string To, string Message, DateTimeOffset ReceivedAt, int Segments, bool Gsm7);

    private static readonly Lazy<SmsSink> Instance = new(Start);

    public static SmsSink Shared => Instance.Value;

    public int Port { get; private init; }

    public string AccessKey { get; private init; } = "";

    public const string From = "+33700000001";

    private readonly HttpClient _http = new();

    /// <summary>The app's settings that send its texts here.</summary>
    public Dictionary<string, string?> Settings => new()
    {
        ["Sms:ConnectionString"] = $"endpoint=http://127.0.0.1:{Port}/;accesskey={AccessKey}",
        ["Sms:From"] = From,
    };

    /// <summary>The texts received for a number, oldest first, waiting up to <paramref name="within"/> for at least <paramref name="atLeast"/>.</summary>
    public async Task<IReadOnlyList<Text>> ForAsync(string to, int atLeast = 1, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var texts = await _http.GetFromJsonAsync<List<Text>>($"http://127.0.0.1:{Port}/messages?to={Uri.EscapeDataString(to)}") ?? [];
            if (texts.Count >= atLeast || DateTime.UtcNow > deadline) return texts;
            await Task.Delay(100);
        }
    }

    private static SmsSink Start()
    {
        var sink = new SmsSink { Port = Azurite.FreePort(), AccessKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        NodeTool.Start("The SMS sink", Path.Combine("tools", "sms-sink", "sms-sink.mjs"), sink.Port, new Dictionary<string, string> { ["SMS_SINK_ACCESS_KEY"] = sink.AccessKey });
        return sink;
    }
}
