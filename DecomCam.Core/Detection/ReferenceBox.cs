namespace DecomCamNet.Detection;

/// <summary>A box to explain: where (input pixels) and which class, as a detection or a user gives it.</summary>
public sealed record ReferenceBox(BoundingBox Box, int ClassIndex)
{
    /// <summary>The reference box of a detection: its box and class.</summary>
    public static ReferenceBox Of(DetectedBox detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        return new(detection.Box, detection.ClassIndex);
    }
}
