namespace DecomCamNet.Evaluation.Scenes;

/// <summary>
/// A rotated object of one of the <see cref="SceneShapes.Classes"/>: its geometry in a local frame (u along the rotated
/// x axis, v along the rotated y axis, y pointing down) and a colour with a linear shading along u.
/// </summary>
internal sealed class SceneShape : SceneRegion
{
    private const double Sqrt3 = 1.7320508075688772;
    private readonly double _cos, _sin;
    private readonly double _a, _b;            // shape parameters in pixels (meaning per class, see constructor)
    private readonly double[]? _polygon;      // star vertices (u0, v0, u1, v1, ...) in the local frame
    private readonly double _shadeR, _shadeG, _shadeB;

    internal SceneShape(int classIndex, double centerX, double centerY, double radius, double turns, double detail,
        (double R, double G, double B) colour, (double R, double G, double B) shading)
        : base(centerX, centerY, radius, colour.R, colour.G, colour.B)
    {
        ClassIndex = classIndex;
        Turns = turns;
        (_sin, _cos) = DeterministicTrig.SinCosTurns(turns);
        (_shadeR, _shadeG, _shadeB) = shading;
        double r = radius;
        switch (classIndex)
        {
            case 1: _a = r * 0.7071067811865476; break;                        // square: half-side
            case 3:                                                           // star: inner radius 0.38-0.5 R
                _polygon = StarPolygon(r, r * (0.38 + 0.12 * detail));
                break;
            case 4:                                                           // cross: half-length, half-thickness
                double k = 0.25 + 0.15 * detail;
                _a = r / Math.Sqrt(1.0 + k * k);
                _b = _a * k;
                break;
            case 5: _a = r * (0.5 + 0.2 * detail); _a *= _a; break;             // ring: inner radius squared
            case 6: _a = r * r; _b = r * (0.45 + 0.2 * detail); _b *= _b; break; // ellipse: a^2, b^2
        }
    }

    internal int ClassIndex { get; }

    /// <summary>Rotation as a fraction of a full turn, clockwise on screen.</summary>
    internal double Turns { get; }

    internal override bool Contains(double x, double y)
    {
        double dx = x - CenterX, dy = y - CenterY;
        double d2 = dx * dx + dy * dy;
        double r = Radius;
        if (d2 > r * r)
            return false;
        double u = dx * _cos + dy * _sin;
        double v = dy * _cos - dx * _sin;
        switch (ClassIndex)
        {
            case 0: return true;                                              // circle
            case 1: return Math.Abs(u) <= _a && Math.Abs(v) <= _a;           // square
            case 2: return v <= r * 0.5 && Sqrt3 * Math.Abs(u) <= v + r;     // triangle, apex at -v
            case 3: return InsidePolygon(_polygon!, u, v);                   // star
            case 4:                                                           // cross
                double au = Math.Abs(u), av = Math.Abs(v);
                return (au <= _b && av <= _a) || (av <= _b && au <= _a);
            case 5: return d2 >= _a;                                           // ring
            case 6: return u * u * _b + v * v * _a <= _a * _b;                 // ellipse
            default: return Math.Abs(v) <= r * (Sqrt3 / 2) && Sqrt3 * Math.Abs(u) + Math.Abs(v) <= Sqrt3 * r; // hexagon
        }
    }

    internal override (double R, double G, double B) ColourAt(double x, double y)
    {
        double t = ((x - CenterX) * _cos + (y - CenterY) * _sin) / Radius; // [-1, 1] along u
        return (Red + _shadeR * t, Green + _shadeG * t, Blue + _shadeB * t);
    }

    private static double[] StarPolygon(double outer, double inner)
    {
        var p = new double[20];
        for (int i = 0; i < 10; i++)
        {
            var (s, c) = DeterministicTrig.SinCosTurns(i / 10.0 - 0.25); // first point along -v
            double rad = i % 2 == 0 ? outer : inner;
            p[2 * i] = rad * c;
            p[2 * i + 1] = rad * s;
        }
        return p;
    }

    // Crossing-number test (even-odd rule).
    private static bool InsidePolygon(double[] p, double u, double v)
    {
        bool inside = false;
        int n = p.Length / 2;
        for (int i = 0, j = n - 1; i < n; j = i++)
        {
            double ui = p[2 * i], vi = p[2 * i + 1], uj = p[2 * j], vj = p[2 * j + 1];
            if ((vi > v) != (vj > v) && u < (uj - ui) * (v - vi) / (vj - vi) + ui)
                inside = !inside;
        }
        return inside;
    }
}
