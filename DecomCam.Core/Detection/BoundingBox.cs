namespace DecomCamNet.Detection;

/// <summary>An axis-aligned box in input pixels, corners (x1, y1) top left and (x2, y2) bottom right.</summary>
public readonly record struct BoundingBox(float X1, float Y1, float X2, float Y2)
{
    /// <summary>The box's area (0 when a side is not positive).</summary>
    public float Area => Math.Max(0, X2 - X1) * Math.Max(0, Y2 - Y1);

    /// <summary>The corners as x1, y1, x2, y2.</summary>
    public float[] ToArray() => new[] { X1, Y1, X2, Y2 };

    /// <summary>Throws unless the coordinates are finite and the box has a positive width and height.</summary>
    /// <exception cref="ArgumentException">A coordinate is not finite, or x2 ≤ x1 or y2 ≤ y1.</exception>
    public void Validate(string paramName)
    {
        if (!float.IsFinite(X1) || !float.IsFinite(Y1) || !float.IsFinite(X2) || !float.IsFinite(Y2) || X2 <= X1 || Y2 <= Y1)
            throw new ArgumentException($"The box {this} needs finite corners with x2 > x1 and y2 > y1.", paramName);
    }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"({X1:0.#},{Y1:0.#})-({X2:0.#},{Y2:0.#})");
}
