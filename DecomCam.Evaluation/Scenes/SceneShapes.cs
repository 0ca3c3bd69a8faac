namespace DecomCamNet.Evaluation.Scenes;

/// <summary>The object classes of generated scenes; a class's index is its position in <see cref="Classes"/>.</summary>
/// <remarks>
/// Every shape fits in a circle of its drawn radius R around its centre and is rotated by a random angle (circles and
/// rings look the same at every angle). <c>circle</c>: disc of radius R. <c>square</c>: side R * sqrt(2).
/// <c>triangle</c>: equilateral, circumradius R. <c>star</c>: five points, inner radius 0.38-0.5 R. <c>cross</c>: plus
/// sign, bar thickness 0.5-0.8 of the half-length. <c>ring</c>: annulus, inner radius 0.5-0.7 R. <c>ellipse</c>: semi-axes
/// R and 0.45-0.65 R. <c>hexagon</c>: regular, circumradius R. The first four match the bundled demo model's classes.
/// </remarks>
public static class SceneShapes
{
    private static readonly string[] Names = ["circle", "square", "triangle", "star", "cross", "ring", "ellipse", "hexagon"];

    /// <summary>The class names in index order.</summary>
    public static IReadOnlyList<string> Classes { get; } = Array.AsReadOnly(Names);

    /// <summary>The index of a class name (ordinal, case-insensitive).</summary>
    /// <param name="name">A name from <see cref="Classes"/>.</param>
    /// <returns>Its index.</returns>
    /// <exception cref="ArgumentException">The name is not a scene class.</exception>
    public static int IndexOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        for (int i = 0; i < Names.Length; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase))
                return i;
        }
        throw new ArgumentException($"'{name}' is not a scene class; the classes are {string.Join(", ", Names)}.", nameof(name));
    }
}
