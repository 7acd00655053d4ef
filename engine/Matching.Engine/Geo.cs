namespace Matching.Engine;

public static class Geo
{
    /// <summary>Great-circle distance (haversine), in kilometres.</summary>
    public static double DistanceKm(double lat1, double lon1, double lat2, double lon2) =>
        DistanceKm(lat1, lon1, CosLatitude(lat1), lat2, lon2, CosLatitude(lat2));

    /// <summary>The cosine of a latitude, which <see cref="DistanceKm(double, double, double, double, double, double)"/> takes ready-made.</summary>
    public static double CosLatitude(double latitude) => Math.Cos(Rad(latitude));

    /// <summary>The same distance with each point's latitude cosine computed ahead (once per mentor, not per pair): equal bit for bit.</summary>
    public static double DistanceKm(double lat1, double lon1, double cosLat1, double lat2, double lon2, double cosLat2)
    {
        const double R = 6371.0088;
        var halfLat = Math.Sin(Rad(lat2 - lat1) / 2);
        var halfLon = Math.Sin(Rad(lon2 - lon1) / 2);
        var a = halfLat * halfLat + cosLat1 * cosLat2 * halfLon * halfLon;
        return 2 * R * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    private static double Rad(double d) => d * Math.PI / 180;
}
