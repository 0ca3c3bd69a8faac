namespace DecomCamNet.Evaluation.Scenes;

/// <summary>
/// Paints layers over a background with the painter's algorithm on a grid of sub-pixel samples, then adds noise and
/// quantises to bytes. With anti-aliasing each pixel has 3x3 samples at offsets 1/6, 1/2, 5/6 (the middle one is the
/// pixel centre), without it only the centre; a pixel's colour is the mean of its samples' colours. A pixel belongs to
/// the layer that covers its centre sample, which is what the masks report.
/// </summary>
internal static class SceneRasterizer
{
    /// <summary>Renders the scene and returns its RGB bytes; <paramref name="centreOwner"/> gets, per pixel, the index of
    /// the top layer covering the pixel centre, or -1 for the background.</summary>
    internal static byte[] Render(int size, double[] background, IReadOnlyList<SceneRegion> layers, bool antiAlias,
        SceneRandom noise, double noiseSigma, out int[] centreOwner)
    {
        int side = antiAlias ? 3 : 1, samples = side * side, centre = samples / 2;
        var offsets = new double[side];
        for (int i = 0; i < side; i++)
            offsets[i] = (2 * i + 1) / (2.0 * side);
        var owner = new short[size * size * samples];
        Array.Fill(owner, (short)-1);
        for (int l = 0; l < layers.Count; l++)
        {
            var layer = layers[l];
            var (x0, y0, x1, y1) = layer.PixelBounds(size);
            for (int y = y0; y <= y1; y++)
            {
                for (int x = x0; x <= x1; x++)
                {
                    int basis = (y * size + x) * samples;
                    for (int sy = 0; sy < side; sy++)
                    {
                        for (int sx = 0; sx < side; sx++)
                        {
                            if (layer.Contains(x + offsets[sx], y + offsets[sy]))
                                owner[basis + sy * side + sx] = (short)l;
                        }
                    }
                }
            }
        }

        centreOwner = new int[size * size];
        var rgb = new byte[size * size * 3];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                int p = y * size + x, basis = p * samples;
                double r = 0, g = 0, b = 0;
                for (int s = 0; s < samples; s++)
                {
                    int l = owner[basis + s];
                    if (l < 0)
                    {
                        r += background[3 * p];
                        g += background[3 * p + 1];
                        b += background[3 * p + 2];
                    }
                    else
                    {
                        var c = layers[l].ColourAt(x + 0.5, y + 0.5);
                        r += c.R;
                        g += c.G;
                        b += c.B;
                    }
                }
                centreOwner[p] = owner[basis + centre];
                rgb[3 * p] = Quantise(r / samples + noiseSigma * noise.NextNoise());
                rgb[3 * p + 1] = Quantise(g / samples + noiseSigma * noise.NextNoise());
                rgb[3 * p + 2] = Quantise(b / samples + noiseSigma * noise.NextNoise());
            }
        }
        return rgb;
    }

    private static byte Quantise(double v) => (byte)Math.Clamp(Math.Floor(v * 255.0 + 0.5), 0.0, 255.0);
}
