using System.Net;
using System.Net.Sockets;

namespace Matching.Notifications;

/// <summary>
/// Which addresses a webhook may reach on Azure: public unicast only. A request forgery could otherwise reach the
/// platform's own network (the metadata service, the Azure wire server at 168.63.129.16, private peers), directly or
/// through an IPv6 form that carries a refused IPv4 address (mapped, compatible, translated, NAT64, 6to4).
/// </summary>
public static class WebhookAddresses
{
    /// <summary>IPv4 ranges that are not public unicast: (first address, prefix length).</summary>
    private static readonly (uint Network, int Prefix)[] RefusedV4 =
    [
        (V4(0, 0, 0, 0), 8),        // "this network"
        (V4(10, 0, 0, 0), 8),       // private
        (V4(100, 64, 0, 0), 10),    // carrier-grade NAT
        (V4(127, 0, 0, 0), 8),      // loopback
        (V4(169, 254, 0, 0), 16),   // link-local (cloud metadata)
        (V4(172, 16, 0, 0), 12),    // private
        (V4(192, 0, 0, 0), 24),     // IETF protocol assignments
        (V4(192, 0, 2, 0), 24),     // documentation (TEST-NET-1)
        (V4(192, 88, 99, 0), 24),   // 6to4 relay anycast
        (V4(192, 168, 0, 0), 16),   // private
        (V4(198, 18, 0, 0), 15),    // benchmarking
        (V4(198, 51, 100, 0), 24),  // documentation (TEST-NET-2)
        (V4(203, 0, 113, 0), 24),   // documentation (TEST-NET-3)
        (V4(224, 0, 0, 0), 4),      // multicast
        (V4(240, 0, 0, 0), 4),      // reserved, and the broadcast address
        (V4(168, 63, 129, 16), 32), // the Azure wire server
    ];

    /// <summary>Whether the address is public unicast, whatever form it is written in.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork) return IsPublicV4(address.GetAddressBytes());
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return false;
        var b = address.GetAddressBytes();
        // ::/96 holds the unspecified address, loopback and the IPv4-compatible form; ::ffff:0:0/96 the mapped form;
        // ::ffff:0:0:0/96 the translated form (RFC 2765): each carries an IPv4 address in its last 32 bits.
        if (AllZero(b, 0, 10) && (b[10], b[11]) is (0, 0) or (0xff, 0xff)) return !AllZero(b, 10, 6) && !IsLoopbackV6(b) && IsPublicV4(b[12..]);
        if (AllZero(b, 0, 8) && (b[8], b[9], b[10], b[11]) == (0xff, 0xff, 0, 0)) return IsPublicV4(b[12..]);
        if ((b[0], b[1], b[2], b[3]) == (0, 0x64, 0xff, 0x9b) && AllZero(b, 4, 8)) return IsPublicV4(b[12..]); // NAT64, 64:ff9b::/96
        if ((b[0], b[1]) == (0x20, 0x02)) return IsPublicV4(b[2..6]); // 6to4, 2002::/16
        if ((b[0] & 0xe0) != 0x20) return false; // outside global unicast 2000::/3: link-local, unique-local, multicast, local NAT64...
        if ((b[0], b[1], b[2], b[3]) == (0x20, 0x01, 0x0d, 0xb8)) return false; // documentation, 2001:db8::/32
        if ((b[0], b[1], b[2], b[3]) == (0x20, 0x01, 0, 0)) return false; // Teredo, 2001::/32: a tunnel, not a web server
        if ((b[0], b[1], b[2] & 0xf0) == (0x20, 0x01, 0x10) && b[3] == 0 || (b[0], b[1], b[2] & 0xf0) == (0x20, 0x01, 0x20) && b[3] == 0) return false; // ORCHID
        if ((b[0], b[1], b[2], b[3], b[4], b[5]) == (0x20, 0x01, 0, 0x02, 0, 0)) return false; // benchmarking, 2001:2::/48
        if ((b[0], b[1], b[2] & 0xf0) == (0x3f, 0xff, 0)) return false; // documentation, 3fff::/20
        return true;
    }

    private static bool IsPublicV4(ReadOnlySpan<byte> b)
    {
        var value = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
        foreach (var (network, prefix) in RefusedV4)
            if ((value & (prefix == 0 ? 0 : uint.MaxValue << (32 - prefix))) == network) return false;
        return true;
    }

    private static bool IsLoopbackV6(byte[] b) => AllZero(b, 0, 15) && b[15] == 1;

    private static bool AllZero(byte[] b, int from, int count) => b.AsSpan(from, count).IndexOfAnyExcept((byte)0) < 0;

    private static uint V4(byte a, byte b, byte c, byte d) => (uint)(a << 24 | b << 16 | c << 8 | d);

    /// <summary>Whether a URL's host is this machine (a name or a literal): where a local listener may be reached over plain http.</summary>
    public static bool IsLoopbackHost(Uri uri) =>
        uri.IsLoopback || uri.IdnHost.Equals("localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Resolves the endpoint's host and says whether every address it names is public: one private address among public
    /// ones is enough to refuse (a name can be made to answer differently at each lookup).
    /// </summary>
    public static async Task<bool> ResolvesPubliclyAsync(string host, Func<string, CancellationToken, Task<IPAddress[]>> resolve, CancellationToken ct)
    {
        IPAddress[] addresses;
        try { addresses = await resolve(host, ct); }
        catch (SocketException) { return false; }
        return addresses.Length > 0 && addresses.All(IsPublic);
    }
}
