namespace Matching.Platform;

/// <summary>A function that needs a larger request body than the default declares it (e.g. uploads).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BodySizeLimitAttribute(long bytes) : Attribute
{
    public long Bytes { get; } = bytes;
}

public static class RequestLimits
{
    public const long DefaultBodyBytes = 256 * 1024;
}
