using System.Text.RegularExpressions;
using Matching.Learners;
using ZXing;
using ZXing.Common;
using ZXing.QrCode;

namespace Matching.UnitTests.Learners;

/// <summary>The learner's link as a QR code reads back, with a phone's decoder (ZXing), as the very link.</summary>
public sealed partial class LinkQrCodeTests
{
    [GeneratedRegex(@"M(\d+) (\d+)h(\d+)v1h-\d+z")] private static partial Regex Run();

    /// <summary>Draws the SVG's path the way a screen would (each module 4 pixels square), then decodes it.</summary>
    private static string? Decode(string svg)
    {
        var size = int.Parse(Regex.Match(svg, @"viewBox=""0 0 (\d+) \d+""").Groups[1].Value);
        const int scale = 4;
        var pixels = Enumerable.Repeat((byte)255, size * scale * size * scale * 3).ToArray();
        foreach (Match m in Run().Matches(svg))
        {
            var (x0, y, run) = (int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value), int.Parse(m.Groups[3].Value));
            for (var x = x0; x < x0 + run; x++)
                for (var dy = 0; dy < scale; dy++)
                    for (var dx = 0; dx < scale; dx++)
                    {
                        var i = (((y * scale + dy) * size * scale) + x * scale + dx) * 3;
                        pixels[i] = pixels[i + 1] = pixels[i + 2] = 0;
                    }
        }
        var image = new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(pixels, size * scale, size * scale, RGBLuminanceSource.BitmapFormat.RGB24)));
        return new QRCodeReader().decode(image)?.Text;
    }

    [Theory]
    [InlineData("https://matching.example.org/l/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_aBcDe")]
    [InlineData("http://localhost:7071/l/x")]
    public void The_code_reads_back_as_the_link_and_names_what_it_holds(string url)
    {
        var svg = LinkQrCode.Svg(url, "Votre lien <personnel>");
        Assert.Equal(url, Decode(svg));
        Assert.Contains("<title id=\"qr-title\">Votre lien &lt;personnel&gt;</title>", svg);
        Assert.True(svg.Length < 12_000, $"{svg.Length} characters");
    }

    [Fact]
    public void A_damaged_code_does_not_read_as_the_link()
    {
        var svg = LinkQrCode.Svg("https://matching.example.org/l/abc", "t");
        // Every other run removed: the check can fail.
        var damaged = Run().Replace(svg, m => m.Index % 2 == 0 ? "" : m.Value);
        Assert.NotEqual("https://matching.example.org/l/abc", Decode(damaged));
    }
}
