namespace DecomCamNet.Evaluation.Scenes;

/// <summary>
/// A distractor painted under the objects: a small rotated ellipse (blob) or a thin line segment with round caps. It
/// belongs to the background in every mask.
/// </summary>
internal sealed class SceneClutter : SceneRegion
{
    private readonly bool _segment;
    private readonly double _cos, _sin, _a2, _b2, _halfLength, _halfWidth2;

    private SceneClutter(bool segment, double cx, double cy, double radius, double turns, double p, double q,
        (double R, double G, double B) colour)
        : base(cx, cy, radius, colour.R, colour.G, colour.B)
    {
        _segment = segment;
        (_sin, _cos) = DeterministicTrig.SinCosTurns(turns);
        if (segment)
        {
            _halfLength = p;
            _halfWidth2 = q * q;
        }
        else
        {
            _a2 = p * p;
            _b2 = q * q;
        }
    }

    /// <summary>Draws one distractor: half of them blobs (diameter 3 px to 7% of the size), half segments (5-15% of the size long).</summary>
    internal static SceneClutter Create(SceneRandom rng, int size, (double R, double G, double B) colour)
    {
        bool segment = rng.NextDouble() < 0.5;
        double turns = rng.NextDouble();
        double p, q, radius;
        if (segment)
        {
            p = rng.Uniform(0.025, 0.075) * size;  // half-length
            q = rng.Uniform(0.5, 1.2);            // half-width
            radius = p + q;
        }
        else
        {
            p = rng.Uniform(1.5, Math.Max(1.5, 0.035 * size));
            q = p * rng.Uniform(0.5, 1.0);
            radius = p;
        }
        double cx = rng.Uniform(0, size), cy = rng.Uniform(0, size);
        return new SceneClutter(segment, cx, cy, radius, turns, p, q, colour);
    }

    internal override bool Contains(double x, double y)
    {
        double dx = x - CenterX, dy = y - CenterY;
        double u = dx * _cos + dy * _sin;
        double v = dy * _cos - dx * _sin;
        if (!_segment)
            return u * u * _b2 + v * v * _a2 <= _a2 * _b2;
        double du = Math.Abs(u) - _halfLength;
        if (du < 0)
            du = 0;
        return du * du + v * v <= _halfWidth2;
    }
}
