using QRCoder;

namespace Matching.Learners;

/// <summary>
/// A learner's link as a QR code, for staff to show on their screen or print: an SVG of one path (a few kilobytes, sharp
/// at any size), black on white with its quiet zone, with a title that names what it holds for screen readers.
/// Error correction M: a code shown on a screen or a sheet that gets folded still reads.
/// </summary>
public static class LinkQrCode
{
    public static string Svg(string url, string title)
    {
        // GenerateQrCode is static (no generator instance to dispose); the matrix includes the four-module quiet zone.
        using var data = QRCodeGenerator.GenerateQrCode(url, QRCodeGenerator.ECCLevel.M);
        var matrix = data.ModuleMatrix;
        var size = matrix.Count;
        var path = new System.Text.StringBuilder();
        for (var y = 0; y < size; y++)
            for (var x = 0; x < size; x++)
                if (matrix[y][x])
                {
                    // Runs of dark modules on a row are one rectangle: a shorter path.
                    var run = 1;
                    while (x + run < size && matrix[y][x + run]) run++;
                    path.Append(System.Globalization.CultureInfo.InvariantCulture, $"M{x} {y}h{run}v1h-{run}z");
                    x += run - 1;
                }
        return $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" role=\"img\" aria-labelledby=\"qr-title\" shape-rendering=\"crispEdges\">"
            + $"<title id=\"qr-title\">{System.Net.WebUtility.HtmlEncode(title)}</title><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>"
            + $"<path d=\"{path}\" fill=\"#000\"/></svg>";
    }
}
