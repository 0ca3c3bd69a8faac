namespace DecomCamNet.Evaluation.Scenes;

/// <summary>
/// A scene's background before distractors, objects and noise: a random base colour (each channel 0.1-0.9), a linear
/// gradient, and one texture chosen uniformly: soft stripes, a rotated checkerboard, two-octave value noise, or none.
/// Texture and gradient are coloured: each is a scalar field in [-1, 1] times its own random per-channel amplitudes of
/// at most <see cref="SceneOptions.TextureAmplitude"/>. Evaluated at pixel centres.
/// </summary>
internal sealed class SceneBackground
{
    private enum Texture { Stripes, Checker, ValueNoise, Plain }

    private readonly double[] _base = new double[3];
    private readonly double[] _texture = new double[3];
    private readonly double[] _gradX = new double[3];
    private readonly double[] _gradY = new double[3];
    private readonly Texture _kind;
    private readonly double _cos, _sin, _period, _sharpness;
    private readonly int _size;
    private readonly double[]? _lattice;   // value-noise lattice, (cells + 2)^2 values in [-1, 1]
    private readonly int _latticeSide;

    private SceneBackground(SceneRandom rng, SceneOptions options)
    {
        _size = options.Size;
        double amp = options.TextureAmplitude;
        for (int c = 0; c < 3; c++)
        {
            _base[c] = rng.Uniform(0.1, 0.9);
            _texture[c] = rng.Uniform(-amp, amp);
            _gradX[c] = rng.Uniform(-amp, amp);
            _gradY[c] = rng.Uniform(-amp, amp);
        }
        _kind = (Texture)rng.NextInt(4);
        (_sin, _cos) = DeterministicTrig.SinCosTurns(rng.NextDouble());
        _period = rng.Uniform(0.05, 0.16) * _size;         // stripe period, checker cell or noise cell in pixels
        _sharpness = rng.Uniform(1.0, 4.0);               // stripes: 1 = triangle wave, larger = closer to square
        if (_kind == Texture.ValueNoise)
        {
            _latticeSide = (int)Math.Ceiling(_size / (_period / 2)) + 3;
            _lattice = new double[_latticeSide * _latticeSide * 2];
            for (int i = 0; i < _lattice.Length; i++)
                _lattice[i] = rng.Uniform(-1, 1);
        }
    }

    internal static SceneBackground Create(SceneRandom rng, SceneOptions options) => new(rng, options);

    /// <summary>The background's RGB at every pixel centre, interleaved, row-major (size * size * 3 doubles).</summary>
    internal double[] Render()
    {
        int n = _size;
        var rgb = new double[n * n * 3];
        for (int y = 0; y < n; y++)
        {
            for (int x = 0; x < n; x++)
            {
                var (r, g, b) = At(x + 0.5, y + 0.5);
                int i = (y * n + x) * 3;
                rgb[i] = r;
                rgb[i + 1] = g;
                rgb[i + 2] = b;
            }
        }
        return rgb;
    }

    /// <summary>The background colour at a point (pixel units).</summary>
    internal (double R, double G, double B) At(double x, double y)
    {
        double gx = x / _size - 0.5, gy = y / _size - 0.5;
        double t = TextureAt(x, y);
        return (_base[0] + _gradX[0] * gx + _gradY[0] * gy + _texture[0] * t,
                _base[1] + _gradX[1] * gx + _gradY[1] * gy + _texture[1] * t,
                _base[2] + _gradX[2] * gx + _gradY[2] * gy + _texture[2] * t);
    }

    private double TextureAt(double x, double y)
    {
        double u = x * _cos + y * _sin, v = y * _cos - x * _sin;
        switch (_kind)
        {
            case Texture.Stripes:
                double w = u / _period;
                double tri = 2.0 * Math.Abs(2.0 * (w - Math.Floor(w)) - 1.0) - 1.0;
                return Math.Clamp(tri * _sharpness, -1.0, 1.0);
            case Texture.Checker:
                long parity = (long)Math.Floor(u / _period) + (long)Math.Floor(v / _period);
                return (parity & 1) == 0 ? 1.0 : -1.0;
            case Texture.ValueNoise:
                return 0.67 * Noise(x / _period, y / _period, 0) + 0.33 * Noise(2 * x / _period, 2 * y / _period, 1);
            default:
                return 0.0;
        }
    }

    // Bilinear interpolation of lattice values with smoothstep weights.
    private double Noise(double x, double y, int octave)
    {
        int ix = (int)Math.Floor(x), iy = (int)Math.Floor(y);
        double fx = x - ix, fy = y - iy;
        fx = fx * fx * (3 - 2 * fx);
        fy = fy * fy * (3 - 2 * fy);
        int side = _latticeSide, baseIndex = octave * side * side;
        double v00 = _lattice![baseIndex + iy * side + ix], v10 = _lattice[baseIndex + iy * side + ix + 1];
        double v01 = _lattice[baseIndex + (iy + 1) * side + ix], v11 = _lattice[baseIndex + (iy + 1) * side + ix + 1];
        double top = v00 + (v10 - v00) * fx, bottom = v01 + (v11 - v01) * fx;
        return top + (bottom - top) * fy;
    }
}
