using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Imaging;

/// <summary>
/// Renders class-activation maps as PNG images: jet heat maps, heat maps blended over the input image, and grids of
/// either (for DecomCAM's sub-maps); for detectors, overlays and grids with the boxes drawn. An overlay given a caption, and a grid given labels, carry them in a white strip
/// below the picture (dark text in a built-in 5x7 pixel font, ASCII); an overlay's strip also holds a jet colour bar
/// from 0 to 1, so the map itself is never covered.
/// </summary>
/// <remarks>
/// A map is a rank-2 tensor <c>[H, W]</c> of finite values meant to lie in [0, 1]; values outside are clamped. It may live
/// on any device and have any real dtype: it is copied to the CPU as float32 here, and is never changed. When a map's size
/// differs from the image it is drawn on, it is resized bilinearly (<c>align_corners = false</c>) first.
/// Blending computes, per channel, <c>round((1 - alpha) * image + alpha * jet(map))</c>, rounding half away from zero.
/// The overlay overloads that take a <c>float[]</c> draw a map already on the host at the image's size, without a tensor
/// (for threads that should not call libtorch); they share the colouring and blending with the tensor overloads.
/// </remarks>
public static class CamImageWriter
{
    /// <summary>Width in pixels of the white gutter between the cells of a grid.</summary>
    public const int GridGutter = 2;

    /// <summary>Saves <paramref name="image"/> with the jet colouring of <paramref name="map"/> blended over it, as PNG.</summary>
    /// <param name="image">The background, normally from <see cref="ImageLoader.LoadRgb(string, ImagePreprocessing?)"/>. Not changed.</param>
    /// <param name="map">The map, <c>[H, W]</c> with values in [0, 1]; resized to the image if needed.</param>
    /// <param name="path">The PNG file to write; its directory is created if needed.</param>
    /// <param name="alpha">Weight of the colour map, in [0, 1]: 0 gives the image, 1 the heat map.</param>
    /// <param name="caption">Text for a strip below the image (what was explained, its score), which also gets a colour
    /// bar; null for the bare overlay of the image's size.</param>
    /// <exception cref="ArgumentException">The map is not rank 2, is empty, or holds NaN or infinities; or <paramref name="alpha"/> is outside [0, 1].</exception>
    public static void SaveOverlay(Image<Rgb24> image, Tensor map, string path, float alpha = 0.5f, string? caption = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var result = CreateOverlay(image, map, alpha, caption);
        Save(result, path);
    }

    /// <summary>
    /// Saves <paramref name="image"/> with the jet colouring of <paramref name="map"/> blended over it, as PNG, from the map's
    /// values already on the host (no tensor): the same file as <see cref="SaveOverlay(Image{Rgb24}, Tensor, string, float, string)"/>
    /// writes for a map of the image's size.
    /// </summary>
    /// <param name="image">The background. Not changed.</param>
    /// <param name="map">The map's values at the image's size, row by row (<c>H x W</c>, C order), meant to lie in [0, 1].</param>
    /// <param name="path">The PNG file to write; its directory is created if needed.</param>
    /// <param name="alpha">Weight of the colour map, in [0, 1].</param>
    /// <param name="caption">Text for a strip below the image, with a colour bar; null for the bare overlay.</param>
    /// <exception cref="ArgumentException">The map's length is not the image's pixel count, or it holds NaN or infinities; or <paramref name="alpha"/> is outside [0, 1].</exception>
    public static void SaveOverlay(Image<Rgb24> image, float[] map, string path, float alpha = 0.5f, string? caption = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var result = CreateOverlay(image, map, alpha, caption);
        Save(result, path);
    }

    /// <summary>Saves the jet colouring of <paramref name="map"/> alone as a PNG of the map's size.</summary>
    /// <param name="map">The map, <c>[H, W]</c> with values in [0, 1].</param>
    /// <param name="path">The PNG file to write; its directory is created if needed.</param>
    /// <exception cref="ArgumentException">The map is not rank 2, is empty, or holds NaN or infinities.</exception>
    public static void SaveHeatmap(Tensor map, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var result = CreateHeatmap(map);
        Save(result, path);
    }

    /// <summary>
    /// Saves a grid of maps as one PNG: overlays on <paramref name="background"/> when it is given, else heat maps.
    /// Cells run left to right, top to bottom, separated by a <see cref="GridGutter"/>-pixel white gutter; unused cells of
    /// the last row stay white.
    /// </summary>
    /// <param name="maps">The maps, each <c>[H, W]</c> with values in [0, 1]. Cells take the background's size, or else
    /// the first map's size; other maps are resized bilinearly to it.</param>
    /// <param name="path">The PNG file to write; its directory is created if needed.</param>
    /// <param name="background">Optional image to draw every map on.</param>
    /// <param name="columns">Cells per row (at least 1); fewer when there are fewer maps.</param>
    /// <param name="alpha">Weight of the colour map in overlays, in [0, 1]; unused without a background.</param>
    /// <param name="labels">One text per map, printed in a strip below its cell (all strips as high as the longest
    /// label needs); null for bare cells.</param>
    /// <exception cref="ArgumentException">No maps; a map is null, not rank 2, empty, or not finite; <paramref name="columns"/> is below 1;
    /// <paramref name="alpha"/> is outside [0, 1]; or the labels are not one per map.</exception>
    public static void SaveGrid(IReadOnlyList<Tensor> maps, string path, Image<Rgb24>? background = null, int columns = 5, float alpha = 0.5f,
        IReadOnlyList<string>? labels = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var result = CreateGrid(maps, background, columns, alpha, labels);
        Save(result, path);
    }

    /// <summary>Renders what <see cref="SaveOverlay(Image{Rgb24}, Tensor, string, float, string)"/> saves, without saving it.</summary>
    /// <param name="image">The background. Not changed.</param>
    /// <param name="map">The map, <c>[H, W]</c> with values in [0, 1]; resized to the image if needed.</param>
    /// <param name="alpha">Weight of the colour map, in [0, 1].</param>
    /// <param name="caption">Text for a strip below the image, with a colour bar; null for the bare overlay.</param>
    /// <returns>A new image of the background's width, and its height plus the strip's; the caller owns it.</returns>
    /// <exception cref="ArgumentException">As for <see cref="SaveOverlay(Image{Rgb24}, Tensor, string, float, string)"/>.</exception>
    public static Image<Rgb24> CreateOverlay(Image<Rgb24> image, Tensor map, float alpha = 0.5f, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckAlpha(alpha);
        float[] values = ReadMap(map, nameof(map), image.Width, image.Height, out _, out _);
        return Captioned(Painted(image, values, alpha), caption);
    }

    /// <summary>
    /// The overlay of <see cref="CreateOverlay(Image{Rgb24}, Tensor, float, string)"/> with detection boxes drawn over the
    /// map, before the caption strip (<see cref="BoxDrawing"/>); boxes are in the image's pixels. A small image is enlarged
    /// first (<see cref="DrawingScale"/>: a 128-px scene is drawn at 256 px), the map resized bilinearly to that size.
    /// </summary>
    /// <exception cref="ArgumentException">As for <see cref="SaveOverlay(Image{Rgb24}, Tensor, string, float, string)"/>.</exception>
    public static Image<Rgb24> CreateBoxOverlay(Image<Rgb24> image, Tensor map, IReadOnlyList<LabeledBox> boxes, float alpha = 0.5f, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(boxes);
        CheckAlpha(alpha);
        return BoxOverlay(image, ReadMap(map, nameof(map), image.Width, image.Height, out _, out _), boxes, alpha, caption);
    }

    // The box overlay of a map already read at the image's size: both overloads of CreateBoxOverlay draw through here.
    private static Image<Rgb24> BoxOverlay(Image<Rgb24> image, float[] values, IReadOnlyList<LabeledBox> boxes, float alpha, string? caption)
    {
        int factor = DrawingScale.Factor(image.Width, image.Height);
        var painted = DrawingScale.Enlarge(image, factor);
        Paint(painted, DrawingScale.EnlargeMap(values, image.Width, image.Height, factor), alpha);
        BoxDrawing.Draw(painted, DrawingScale.Enlarge(boxes, factor));
        return Captioned(painted, caption);
    }

    /// <summary>Saves <see cref="CreateBoxOverlay(Image{Rgb24}, Tensor, IReadOnlyList{LabeledBox}, float, string)"/>'s image as PNG.</summary>
    public static void SaveBoxOverlay(Image<Rgb24> image, Tensor map, IReadOnlyList<LabeledBox> boxes, string path, float alpha = 0.5f, string? caption = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var result = CreateBoxOverlay(image, map, boxes, alpha, caption);
        Save(result, path);
    }

    /// <summary>
    /// Renders a grid of detection panels, one per map: each map over <paramref name="image"/> with its own boxes drawn
    /// (<see cref="BoxDrawing"/>), laid out as <see cref="CreateGrid(IReadOnlyList{Tensor}, Image{Rgb24}?, int, float, IReadOnlyList{string}?)"/>
    /// lays out overlays. Like <see cref="CreateBoxOverlay(Image{Rgb24}, Tensor, IReadOnlyList{LabeledBox}, float, string)"/>, a small image is enlarged first (<see cref="DrawingScale"/>),
    /// so a panel's picture is the box overlay's picture of the same map and boxes.
    /// </summary>
    /// <param name="image">The background of every panel. Not changed.</param>
    /// <param name="maps">One map per panel, each <c>[H, W]</c> with values in [0, 1]; resized bilinearly to the panel.</param>
    /// <param name="boxes">Per panel, the boxes to draw over its map, in the image's pixels (normally its own detection, highlighted).</param>
    /// <param name="columns">Panels per row (at least 1); fewer when there are fewer maps.</param>
    /// <param name="alpha">Weight of the colour map, in [0, 1].</param>
    /// <param name="labels">One caption per panel, printed in a strip below it; null for bare panels.</param>
    /// <returns>A new image (sizes as for the overlay grid, with enlarged cells); the caller owns it.</returns>
    /// <exception cref="ArgumentException">No maps; a map is null, not rank 2, empty, or not finite; the boxes or the labels are not
    /// one list per map; <paramref name="columns"/> is below 1; or <paramref name="alpha"/> is outside [0, 1].</exception>
    public static Image<Rgb24> CreateBoxGrid(Image<Rgb24> image, IReadOnlyList<Tensor> maps, IReadOnlyList<IReadOnlyList<LabeledBox>> boxes,
        int columns = 5, float alpha = 0.5f, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckGrid(maps, columns, alpha);
        ArgumentNullException.ThrowIfNull(boxes);
        if (boxes.Count != maps.Count)
            throw new ArgumentException($"A grid of {maps.Count} maps needs {maps.Count} box lists; got {boxes.Count}.", nameof(boxes));
        for (int i = 0; i < boxes.Count; i++)
        {
            if (boxes[i] is null)
                throw new ArgumentException($"boxes[{i}] is null.", nameof(boxes));
        }
        int factor = DrawingScale.Factor(image.Width, image.Height);
        using var background = DrawingScale.Enlarge(image, factor);
        return Grid(maps.Count, i => DrawingScale.EnlargeMap(CellValues(maps, i, image.Width, image.Height), image.Width, image.Height, factor),
            background.Width, background.Height, background,
            columns, alpha, labels, (panel, i) => BoxDrawing.Draw(panel, DrawingScale.Enlarge(boxes[i], factor)));
    }

    /// <summary>Saves <see cref="CreateBoxGrid"/>'s image as PNG.</summary>
    /// <param name="image">The background of every panel. Not changed.</param>
    /// <param name="maps">One map per panel.</param>
    /// <param name="boxes">Per panel, the boxes to draw over its map, in the image's pixels.</param>
    /// <param name="path">The PNG file to write; its directory is created if needed.</param>
    /// <param name="columns">Panels per row (at least 1).</param>
    /// <param name="alpha">Weight of the colour map, in [0, 1].</param>
    /// <param name="labels">One caption per panel; null for bare panels.</param>
    /// <exception cref="ArgumentException">As for <see cref="CreateBoxGrid"/>.</exception>
    public static void SaveBoxGrid(Image<Rgb24> image, IReadOnlyList<Tensor> maps, IReadOnlyList<IReadOnlyList<LabeledBox>> boxes, string path,
        int columns = 5, float alpha = 0.5f, IReadOnlyList<string>? labels = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var result = CreateBoxGrid(image, maps, boxes, columns, alpha, labels);
        Save(result, path);
    }

    /// <summary>Renders what <see cref="SaveOverlay(Image{Rgb24}, float[], string, float, string)"/> saves, without saving it.</summary>
    /// <param name="image">The background. Not changed.</param>
    /// <param name="map">The map's values at the image's size, row by row (<c>H x W</c>, C order).</param>
    /// <param name="alpha">Weight of the colour map, in [0, 1].</param>
    /// <param name="caption">Text for a strip below the image, with a colour bar; null for the bare overlay.</param>
    /// <returns>A new image of the background's width, and its height plus the strip's; the caller owns it.</returns>
    /// <exception cref="ArgumentException">As for <see cref="SaveOverlay(Image{Rgb24}, float[], string, float, string)"/>.</exception>
    public static Image<Rgb24> CreateOverlay(Image<Rgb24> image, float[] map, float alpha = 0.5f, string? caption = null)
    {
        CheckHostMap(image, map, alpha);
        return Captioned(Painted(image, map, alpha), caption);
    }

    /// <summary>
    /// The overlay of <see cref="CreateOverlay(Image{Rgb24}, float[], float, string)"/> with detection boxes drawn over the
    /// map, as <see cref="CreateBoxOverlay(Image{Rgb24}, Tensor, IReadOnlyList{LabeledBox}, float, string)"/> draws them.
    /// </summary>
    /// <exception cref="ArgumentException">As for <see cref="SaveOverlay(Image{Rgb24}, float[], string, float, string)"/>.</exception>
    public static Image<Rgb24> CreateBoxOverlay(Image<Rgb24> image, float[] map, IReadOnlyList<LabeledBox> boxes, float alpha = 0.5f, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        CheckHostMap(image, map, alpha);
        return BoxOverlay(image, map, boxes, alpha, caption);
    }

    /// <summary>Saves <see cref="CreateBoxOverlay(Image{Rgb24}, float[], IReadOnlyList{LabeledBox}, float, string)"/>'s image as PNG.</summary>
    public static void SaveBoxOverlay(Image<Rgb24> image, float[] map, IReadOnlyList<LabeledBox> boxes, string path, float alpha = 0.5f, string? caption = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var result = CreateBoxOverlay(image, map, boxes, alpha, caption);
        Save(result, path);
    }

    /// <summary>Renders what <see cref="SaveHeatmap"/> saves, without saving it.</summary>
    /// <param name="map">The map, <c>[H, W]</c> with values in [0, 1].</param>
    /// <returns>A new <c>W x H</c> image; the caller owns it.</returns>
    /// <exception cref="ArgumentException">As for <see cref="SaveHeatmap"/>.</exception>
    public static Image<Rgb24> CreateHeatmap(Tensor map)
    {
        float[] values = ReadMap(map, nameof(map), null, null, out int width, out int height);
        var result = new Image<Rgb24>(width, height);
        Paint(result, values, 1f);
        return result;
    }

    /// <summary>Renders what <see cref="SaveGrid"/> saves, without saving it.</summary>
    /// <param name="maps">The maps, each <c>[H, W]</c> with values in [0, 1].</param>
    /// <param name="background">Optional image to draw every map on.</param>
    /// <param name="columns">Cells per row (at least 1).</param>
    /// <param name="alpha">Weight of the colour map in overlays, in [0, 1].</param>
    /// <param name="labels">One text per map for a strip below its cell; null for bare cells.</param>
    /// <returns>A new image of <c>c * w + (c - 1) * 2</c> by <c>r * h + (r - 1) * 2</c> pixels for c columns and r rows of
    /// w x h cells (h including the label strip); the caller owns it.</returns>
    /// <exception cref="ArgumentException">As for <see cref="SaveGrid"/>.</exception>
    public static Image<Rgb24> CreateGrid(IReadOnlyList<Tensor> maps, Image<Rgb24>? background = null, int columns = 5, float alpha = 0.5f,
        IReadOnlyList<string>? labels = null)
    {
        CheckGrid(maps, columns, alpha);
        int cellWidth, cellHeight;
        if (background is not null)
        {
            (cellWidth, cellHeight) = (background.Width, background.Height);
        }
        else
        {
            CheckShape(maps[0], nameof(maps), "maps[0]");
            (cellHeight, cellWidth) = ((int)maps[0].shape[0], (int)maps[0].shape[1]);
        }

        return Grid(maps.Count, i => CellValues(maps, i, cellWidth, cellHeight), cellWidth, cellHeight, background, columns, alpha, labels);
    }

    // A host map's arguments: one finite value per pixel of the image, and the colour map's weight.
    private static void CheckHostMap(Image<Rgb24> image, float[] map, float alpha)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(map);
        CheckAlpha(alpha);
        if (map.Length != (long)image.Width * image.Height)
            throw new ArgumentException($"The map has {map.Length} values; a {image.Width}x{image.Height} image needs {(long)image.Width * image.Height} (resize the map to the image first).", nameof(map));
        if (!Array.TrueForAll(map, float.IsFinite))
            throw new ArgumentException($"The map contains NaN or infinite values ({image.Height}x{image.Width}).", nameof(map));
    }

    // A tensor grid's arguments, checked before any drawing.
    private static void CheckGrid(IReadOnlyList<Tensor> maps, int columns, float alpha)
    {
        ArgumentNullException.ThrowIfNull(maps);
        if (maps.Count == 0)
            throw new ArgumentException("At least one map is needed for a grid.", nameof(maps));
        if (columns < 1)
            throw new ArgumentOutOfRangeException(nameof(columns), columns, "A grid needs at least one column.");
        CheckAlpha(alpha);
        for (int i = 0; i < maps.Count; i++)
        {
            if (maps[i] is null)
                throw new ArgumentException($"maps[{i}] is null.", nameof(maps));
        }
    }

    // Map i's values at the cell's size; its errors name it.
    private static float[] CellValues(IReadOnlyList<Tensor> maps, int i, int cellWidth, int cellHeight)
    {
        try
        {
            return ReadMap(maps[i], nameof(maps), cellWidth, cellHeight, out _, out _);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"maps[{i}]: {ex.Message}", nameof(maps), ex);
        }
    }

    /// <summary>
    /// Renders a grid of maps given as host arrays (no tensor: for threads that do no libtorch work), each
    /// <paramref name="height"/> x <paramref name="width"/> values in [0, 1] row by row; otherwise as
    /// <see cref="CreateGrid(IReadOnlyList{Tensor}, Image{Rgb24}?, int, float, IReadOnlyList{string}?)"/>. A background, if
    /// given, must be of the maps' size.
    /// </summary>
    /// <exception cref="ArgumentException">No maps; a map of another length or not finite; a background of another size;
    /// <paramref name="columns"/> below 1; <paramref name="alpha"/> outside [0, 1]; or the labels not one per map.</exception>
    public static Image<Rgb24> CreateGrid(IReadOnlyList<float[]> maps, int width, int height, Image<Rgb24>? background = null, int columns = 5,
        float alpha = 0.5f, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(maps);
        if (maps.Count == 0) throw new ArgumentException("At least one map is needed for a grid.", nameof(maps));
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "A grid needs at least one column.");
        CheckAlpha(alpha);
        if (background is not null && (background.Width != width || background.Height != height))
            throw new ArgumentException($"The background is {background.Width}x{background.Height}; the maps are {width}x{height}.", nameof(background));
        for (int i = 0; i < maps.Count; i++)
        {
            if (maps[i] is null || maps[i].Length != (long)width * height)
                throw new ArgumentException($"maps[{i}] has {maps[i]?.Length ?? 0} values; a {width}x{height} map needs {(long)width * height}.", nameof(maps));
            if (!Array.TrueForAll(maps[i], float.IsFinite))
                throw new ArgumentException($"maps[{i}] contains NaN or infinite values.", nameof(maps));
        }
        return Grid(maps.Count, i => maps[i], width, height, background, columns, alpha, labels);
    }

    // The grid of count cells of cellWidth x cellHeight values (valuesAt(i): cell i's values at that size); decorate(cell, i)
    // draws on cell i after its map and before its label.
    private static Image<Rgb24> Grid(int count, Func<int, float[]> valuesAt, int cellWidth, int cellHeight, Image<Rgb24>? background,
        int columns, float alpha, IReadOnlyList<string>? labels, Action<Image<Rgb24>, int>? decorate = null)
    {
        if (labels is not null && labels.Count != count)
            throw new ArgumentException($"A grid of {count} maps needs {count} labels; got {labels.Count}.", nameof(labels));
        var lines = labels?.Select(l => CaptionStrip.Wrap(l ?? "", cellWidth)).ToList();
        int stripHeight = lines is null ? 0 : CaptionStrip.Height(cellWidth, lines.Max(l => l.Count), colorBar: false);
        int cols = Math.Min(columns, count);
        int rows = (count + cols - 1) / cols;
        int gridWidth = checked(cols * cellWidth + (cols - 1) * GridGutter);
        int gridHeight = checked(rows * (cellHeight + stripHeight) + (rows - 1) * GridGutter);
        var grid = new Image<Rgb24>(gridWidth, gridHeight, new Rgb24(255, 255, 255));
        try
        {
            for (int i = 0; i < count; i++)
            {
                float[] values = valuesAt(i);

                using var painted = background?.Clone() ?? new Image<Rgb24>(cellWidth, cellHeight);
                Paint(painted, values, background is null ? 1f : alpha);
                decorate?.Invoke(painted, i);
                using var labelled = lines is null ? null : CaptionStrip.Below(painted, lines[i], colorBar: false);
                var cell = labelled ?? painted;
                int x0 = i % cols * (cellWidth + GridGutter);
                int y0 = i / cols * (cellHeight + stripHeight + GridGutter);
                cell.ProcessPixelRows(grid, (src, dst) =>
                {
                    for (int y = 0; y < src.Height; y++)
                        src.GetRowSpan(y).CopyTo(dst.GetRowSpan(y0 + y).Slice(x0, src.Width));
                });
            }
            return grid;
        }
        catch
        {
            grid.Dispose();
            throw;
        }
    }

    // A copy of the image with jet(values) blended in.
    private static Image<Rgb24> Painted(Image<Rgb24> image, float[] values, float alpha)
    {
        var result = image.Clone();
        Paint(result, values, alpha);
        return result;
    }

    // The overlay itself without a caption, else a new image with the strip below it (the overlay is disposed).
    private static Image<Rgb24> Captioned(Image<Rgb24> overlay, string? caption)
    {
        if (caption is null) return overlay;
        using (overlay) return CaptionStrip.Below(overlay, CaptionStrip.Wrap(caption, overlay.Width), colorBar: true);
    }

    // Blends jet(values) into the image in place (jet clamps each value to [0, 1]); alpha = 1 replaces the pixels.
    private static void Paint(Image<Rgb24> image, float[] values, float alpha)
    {
        float keep = 1f - alpha;
        int width = image.Width;
        image.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < accessor.Height; y++)
            {
                Span<Rgb24> row = accessor.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    Rgb24 c = ColorMaps.Jet(values[y * width + x]);
                    Rgb24 p = row[x];
                    row[x] = new Rgb24(Blend(p.R, c.R, keep, alpha), Blend(p.G, c.G, keep, alpha), Blend(p.B, c.B, keep, alpha));
                }
            }
        });
    }

    private static byte Blend(byte image, byte color, float keep, float alpha) =>
        (byte)Math.Clamp(MathF.Round(keep * image + alpha * color, MidpointRounding.AwayFromZero), 0f, 255f);

    private static void CheckAlpha(float alpha)
    {
        if (!(alpha >= 0f && alpha <= 1f))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in [0, 1].");
    }

    private static void CheckShape(Tensor? map, string paramName, string what)
    {
        if (map is null)
            throw new ArgumentNullException(paramName, $"{what} is null.");
        if (map.dim() != 2)
            throw new ArgumentException($"{what} must be a rank-2 [H, W] tensor; got shape [{string.Join(", ", map.shape)}].", paramName);
        if (map.shape[0] == 0 || map.shape[1] == 0)
            throw new ArgumentException($"{what} is empty (shape [{string.Join(", ", map.shape)}]).", paramName);
        if (map.shape[0] > int.MaxValue || map.shape[1] > int.MaxValue)
            throw new ArgumentException($"{what} is too large to draw (shape [{string.Join(", ", map.shape)}]).", paramName);
        if (map.is_complex() || map.dtype == ScalarType.Bool)
            throw new ArgumentException($"{what} must be real-valued; got dtype {map.dtype}.", paramName);
    }

    // Validates the map, copies it to the CPU as float32 and resizes it to width x height when given (Paint clamps).
    private static float[] ReadMap(Tensor map, string paramName, int? width, int? height, out int mapWidth, out int mapHeight)
    {
        CheckShape(map, paramName, "The map");
        using var scope = torch.NewDisposeScope();
        var m = map.detach().cpu().to_type(ScalarType.Float32);
        if (!m.isfinite().all().item<bool>())
            throw new ArgumentException($"The map contains NaN or infinite values (shape [{string.Join(", ", map.shape)}]).", paramName);
        mapHeight = (int)m.shape[0];
        mapWidth = (int)m.shape[1];
        if (width is int w && height is int h && (w != mapWidth || h != mapHeight))
        {
            m = nn.functional.interpolate(m.reshape(1, 1, mapHeight, mapWidth), size: [h, w], mode: InterpolationMode.Bilinear, align_corners: false)
                .reshape(h, w);
            (mapWidth, mapHeight) = (w, h);
        }
        return m.contiguous().data<float>().ToArray();
    }

    private static void Save(Image<Rgb24> image, string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);
        image.SaveAsPng(path, FastPng);
    }

    /// <summary>
    /// zlib level 1: encodes an overlay a third faster than the default level 6 (224 px: 9.5 against 13.2 ms) for about 1%
    /// more bytes, which matters where an output thread writes an overlay per image of a set.
    /// </summary>
    private static readonly PngEncoder FastPng = new() { CompressionLevel = PngCompressionLevel.BestSpeed };
}
