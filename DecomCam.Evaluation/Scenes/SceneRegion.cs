namespace DecomCamNet.Evaluation.Scenes;

/// <summary>
/// One painted layer of a scene (an object or a distractor): which points it covers and its colour there. Pixel (x, y)
/// spans [x, x + 1) x [y, y + 1); its centre is (x + 0.5, y + 0.5). Inside tests use only IEEE-754 +, -, *, / and sqrt.
/// </summary>
internal abstract class SceneRegion
{
    protected SceneRegion(double centerX, double centerY, double radius, double red, double green, double blue)
    {
        CenterX = centerX;
        CenterY = centerY;
        Radius = radius;
        Red = red;
        Green = green;
        Blue = blue;
    }

    internal double CenterX { get; }

    internal double CenterY { get; }

    /// <summary>Every covered point lies within this distance of the centre.</summary>
    internal double Radius { get; }

    internal double Red { get; }

    internal double Green { get; }

    internal double Blue { get; }

    /// <summary>Whether the point (x, y), in pixel units, is covered.</summary>
    internal abstract bool Contains(double x, double y);

    /// <summary>The colour at pixel centre (x, y); the base colour unless overridden.</summary>
    internal virtual (double R, double G, double B) ColourAt(double x, double y) => (Red, Green, Blue);

    /// <summary>The pixels that may hold covered points, clipped to the image: inclusive bounds.</summary>
    internal (int X0, int Y0, int X1, int Y1) PixelBounds(int size) =>
        (Math.Max(0, (int)Math.Floor(CenterX - Radius) - 1), Math.Max(0, (int)Math.Floor(CenterY - Radius) - 1),
         Math.Min(size - 1, (int)Math.Floor(CenterX + Radius) + 1), Math.Min(size - 1, (int)Math.Floor(CenterY + Radius) + 1));
}
