namespace DecomCamNet.Evaluation.Scenes;

/// <summary>
/// Generates seeded scenes of 1-3 (by default) shapes on textured, noisy, cluttered backgrounds, with each object's
/// visible-pixel mask. Scene i of seed s depends only on (s, i) and is the same, byte for byte, on every machine.
/// </summary>
/// <remarks>
/// <para>Determinism: every random number comes from a <c>SplitMix64</c> stream seeded by a hash of (seed, index); shapes
/// are rasterised by hand with per-point inside tests that use only IEEE-754 +, -, *, / and sqrt (no SIMD, no library
/// drawing), and rotations use fixed Taylor polynomials instead of <see cref="Math.Sin"/>/<see cref="Math.Cos"/>, whose
/// last bit may depend on the platform's C library.</para>
/// <para>A scene is made in this order: background (base colour, gradient, one texture); the object count, uniform in
/// [MinObjects, MaxObjects]; each object's class (uniform, repeats allowed), radius, rotation, position and shape detail,
/// redrawn (up to 200 times, shrinking after 100) until no earlier object loses more than
/// <see cref="SceneOptions.MaxOcclusion"/> of its pixels or keeps fewer than 8 visible; an object that finds no place is
/// left out. With probability <see cref="SceneOptions.OverlapProbability"/> an object is centred 0.5-0.95 of the sum of
/// radii from an earlier one (so they usually overlap), otherwise anywhere fully inside the image. Then each object's colour
/// (uniform RGB, redrawn until its luminance differs from the background under its centre by MinContrast-MaxContrast) and
/// shading; the distractors; and finally the pixels (distractors under objects) and the noise.</para>
/// </remarks>
public sealed class SceneGenerator
{
    private const int Attempts = 200;
    private const int MinVisiblePixels = 8;
    private readonly SceneOptions _options;

    /// <summary>Creates a generator.</summary>
    /// <param name="seed">Any integer; scenes of different seeds are independent.</param>
    /// <param name="options">What to draw; <c>null</c> means <see cref="SceneOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the parameter name is the option's).</exception>
    public SceneGenerator(int seed, SceneOptions? options = null)
    {
        _options = options ?? SceneOptions.Default;
        _options.Validate();
        Seed = seed;
    }

    /// <summary>The seed.</summary>
    public int Seed { get; }

    /// <summary>The options.</summary>
    public SceneOptions Options => _options;

    /// <summary>Generates scene <paramref name="index"/>. Thread-safe; scenes can be generated in any order.</summary>
    /// <param name="index">0 or more.</param>
    /// <returns>The scene.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative.</exception>
    public Scene Generate(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var o = _options;
        int size = o.Size;
        var rng = SceneRandom.ForScene(Seed, index);
        var background = SceneBackground.Create(rng, o);
        int count = o.MinObjects + rng.NextInt(o.MaxObjects - o.MinObjects + 1);
        var placed = PlaceObjects(rng, count);

        var shapes = new List<SceneShape>(placed.Count);
        var contrasts = new List<double>(placed.Count);
        foreach (var (cls, cx, cy, radius, turns, detail) in placed)
        {
            var under = background.At(cx, cy);
            var (colour, contrast) = PickColour(rng, Luma(under), o.MinContrast, o.MaxContrast);
            double sh = o.ObjectShading;
            var shading = (rng.Uniform(-sh, sh), rng.Uniform(-sh, sh), rng.Uniform(-sh, sh));
            shapes.Add(new SceneShape(cls, cx, cy, radius, turns, detail, colour, shading));
            contrasts.Add(contrast);
        }

        double expected = o.ClutterDensity * size * size / 1024.0;
        int clutterCount = (int)Math.Floor(expected) + (rng.NextDouble() < expected - Math.Floor(expected) ? 1 : 0);
        var layers = new List<SceneRegion>(clutterCount + shapes.Count);
        for (int i = 0; i < clutterCount; i++)
            layers.Add(SceneClutter.Create(rng, size, (rng.NextDouble(), rng.NextDouble(), rng.NextDouble())));
        layers.AddRange(shapes);

        byte[] rgb = SceneRasterizer.Render(size, background.Render(), layers, o.AntiAlias, rng, o.NoiseSigma, out int[] owner);

        var objects = new SceneObject[shapes.Count];
        for (int k = 0; k < shapes.Count; k++)
        {
            var s = shapes[k];
            int layer = clutterCount + k;
            var mask = new bool[size * size];
            for (int p = 0; p < mask.Length; p++)
                mask[p] = owner[p] == layer;
            objects[k] = new SceneObject(s.ClassIndex, SceneShapes.Classes[s.ClassIndex], mask, SceneObject.BoundingBox(mask, size),
                FullPixels(s, size), s.CenterX, s.CenterY, s.Radius, s.Turns * 360.0, contrasts[k]);
        }
        return new Scene(index, rgb, size, objects);
    }

    // Draws each object's geometry and position; checks occlusion on the pixel-centre grid.
    private List<(int Class, double X, double Y, double Radius, double Turns, double Detail)> PlaceObjects(SceneRandom rng, int count)
    {
        var o = _options;
        int size = o.Size;
        int classes = SceneShapes.Classes.Count;
        var placed = new List<(int, double, double, double, double, double)>(count);
        var top = new int[size * size];          // the top placed object per pixel centre, -1 for none
        Array.Fill(top, -1);
        var full = new List<int>(count);         // own pixels of each placed object
        var visible = new List<int>(count);      // its pixels no later object hides
        for (int k = 0; k < count; k++)
        {
            int cls = rng.NextInt(classes);
            for (int attempt = 0; attempt < Attempts; attempt++)
            {
                double shrink = attempt < Attempts / 2 ? 1.0 : 0.5;
                double minR = o.MinObjectSize * size / 2, maxR = Math.Max(minR, o.MaxObjectSize * size / 2 * shrink);
                double radius = rng.Uniform(minR, maxR);
                double turns = rng.NextDouble();
                double detail = rng.NextDouble();
                double lo = radius + 1, hi = size - radius - 1;
                double cx, cy;
                if (placed.Count > 0 && rng.NextDouble() < o.OverlapProbability)
                {
                    var (_, px, py, pr, _, _) = placed[rng.NextInt(placed.Count)];
                    var (s, c) = DeterministicTrig.SinCosTurns(rng.NextDouble());
                    double distance = (pr + radius) * rng.Uniform(0.5, 0.95);
                    cx = px + distance * c;
                    cy = py + distance * s;
                    if (cx < lo || cx > hi || cy < lo || cy > hi)
                        continue;
                }
                else
                {
                    cx = rng.Uniform(lo, Math.Max(lo, hi));
                    cy = rng.Uniform(lo, Math.Max(lo, hi));
                }

                var shape = new SceneShape(cls, cx, cy, radius, turns, detail, (0, 0, 0), (0, 0, 0));
                var pixels = CentrePixels(shape, size);
                if (pixels.Count < MinVisiblePixels)
                    continue;
                var hidden = new int[placed.Count];
                foreach (int p in pixels)
                {
                    if (top[p] >= 0)
                        hidden[top[p]]++;
                }
                bool fits = true;
                for (int j = 0; j < placed.Count && fits; j++)
                {
                    int left = visible[j] - hidden[j];
                    fits = left >= MinVisiblePixels && left >= (1 - o.MaxOcclusion) * full[j];
                }
                if (!fits)
                    continue;
                for (int j = 0; j < placed.Count; j++)
                    visible[j] -= hidden[j];
                foreach (int p in pixels)
                    top[p] = placed.Count;
                placed.Add((cls, cx, cy, radius, turns, detail));
                full.Add(pixels.Count);
                visible.Add(pixels.Count);
                break;
            }
        }
        return placed;
    }

    private static List<int> CentrePixels(SceneRegion shape, int size)
    {
        var pixels = new List<int>();
        var (x0, y0, x1, y1) = shape.PixelBounds(size);
        for (int y = y0; y <= y1; y++)
        {
            for (int x = x0; x <= x1; x++)
            {
                if (shape.Contains(x + 0.5, y + 0.5))
                    pixels.Add(y * size + x);
            }
        }
        return pixels;
    }

    private static int FullPixels(SceneRegion shape, int size) => CentrePixels(shape, size).Count;

    private static double Luma((double R, double G, double B) c) => 0.299 * c.R + 0.587 * c.G + 0.114 * c.B;

    private static ((double R, double G, double B) Colour, double Contrast) PickColour(SceneRandom rng, double under, double min, double max)
    {
        for (int i = 0; i < 64; i++)
        {
            var c = (rng.NextDouble(), rng.NextDouble(), rng.NextDouble());
            double d = Luma(c) - under;
            if (Math.Abs(d) >= min && Math.Abs(d) <= max)
                return (c, d);
        }
        // Rare (a narrow contrast window): a grey at the nearest allowed luminance.
        double target = under + min <= 1 ? under + min : under - min;
        target = Math.Clamp(target, 0, 1);
        return ((target, target, target), target - under);
    }
}
