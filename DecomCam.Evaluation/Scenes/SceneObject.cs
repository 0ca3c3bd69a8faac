namespace DecomCamNet.Evaluation.Scenes;

/// <summary>One object of a <see cref="Scene"/>, with its ground truth.</summary>
/// <param name="ClassIndex">Index into <see cref="SceneShapes.Classes"/>.</param>
/// <param name="ClassName">The class's name.</param>
/// <param name="Mask">Size * Size flags, row-major: the pixels where this object is visible (its own pixels not hidden
/// by objects drawn later). A pixel counts when the object covers the pixel's centre. Masks of one scene are disjoint.</param>
/// <param name="Box">The tight bounding box of <paramref name="Mask"/>: left column, top row, width, height (all zero when
/// the mask is empty).</param>
/// <param name="FullPixelCount">Pixels the object would cover were nothing drawn over it.</param>
/// <param name="CenterX">Centre column in pixel units (pixel x spans [x, x + 1)).</param>
/// <param name="CenterY">Centre row in pixel units.</param>
/// <param name="Radius">Radius in pixels of the circle the shape fits in.</param>
/// <param name="RotationDegrees">Clockwise rotation on screen, in [0, 360).</param>
/// <param name="Contrast">Luminance of the object's colour minus that of the background under its centre (before
/// shading and noise), in [-1, 1].</param>
public sealed record SceneObject(
    int ClassIndex,
    string ClassName,
    bool[] Mask,
    (int X, int Y, int W, int H) Box,
    int FullPixelCount,
    double CenterX,
    double CenterY,
    double Radius,
    double RotationDegrees,
    double Contrast)
{
    /// <summary>Visible pixels: the number of set flags in <see cref="Mask"/>.</summary>
    public int PixelCount => Mask.Count(b => b);

    /// <summary>The fraction of the object's own pixels hidden by later objects, in [0, 1].</summary>
    public double OccludedFraction => FullPixelCount == 0 ? 0 : Math.Max(0, 1 - PixelCount / (double)FullPixelCount);

    /// <summary>The tight bounding box of the set flags of a row-major square mask.</summary>
    /// <param name="mask">Size * Size flags.</param>
    /// <param name="size">Width and height.</param>
    /// <returns>(left, top, width, height), or all zeros when no flag is set.</returns>
    public static (int X, int Y, int W, int H) BoundingBox(bool[] mask, int size)
    {
        ArgumentNullException.ThrowIfNull(mask);
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = -1, y1 = -1;
        for (int i = 0; i < mask.Length; i++)
        {
            if (!mask[i])
                continue;
            int x = i % size, y = i / size;
            x0 = Math.Min(x0, x);
            y0 = Math.Min(y0, y);
            x1 = Math.Max(x1, x);
            y1 = Math.Max(y1, y);
        }
        return x1 < 0 ? (0, 0, 0, 0) : (x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }
}
