using System.CommandLine;
using DecomCamNet.Imaging;

namespace DecomCamNet.Cli;

/// <summary>
/// How the command line overrides a model's own preprocessing (resize, crop, normalisation, pixel scale): declared once
/// here for every command that reads images (<c>explain</c>, <c>evaluate</c>), applied to the base preprocessing that
/// the model brings (the zoo's training preprocessing, CLIP's, or an ONNX model's input size).
/// </summary>
internal sealed record ImageOptions
{
    public int? Resize { get; init; }
    public int? Crop { get; init; }
    public bool NoResize { get; init; }
    public float[]? Mean { get; init; }
    public float[]? Std { get; init; }
    public float PixelScale { get; init; } = 1;

    /// <summary>Declares the options on <paramref name="bound"/>, read and written through <paramref name="get"/> and <paramref name="set"/>.</summary>
    public static void Declare<T>(BoundOptions<T> bound, Func<T, ImageOptions> get, Func<T, ImageOptions, T> set) where T : class
    {
        bound.Add(CheckedOptions.OptionalInt("--resize", "resize the shorter image side to N (default: the model's training " +
            "preprocessing, 256 for zoo models, 128 for scenenet and scenevit; CLIP models: the model's resolution, bicubic)", 1),
            (o, v) => set(o, get(o) with { Resize = v }));
        bound.Add(CheckedOptions.OptionalInt("--crop",
            "centre crop N x N (default 224 for zoo models, none for scenenet and scenevit; CLIP models: the model's resolution)", 1),
            (o, v) => set(o, get(o) with { Crop = v }));
        bound.Add(new Option<bool>("--no-resize") { Description = "use the image at its own size (overrides the defaults)" },
            (o, v) => set(o, get(o) with { NoResize = v }));
        bound.Add(CheckedOptions.Channels("--mean", "per-channel (R,G,B) means for normalisation (default: ImageNet's; CLIP: CLIP's)"),
            (o, v) => set(o, get(o) with { Mean = v }));
        bound.Add(CheckedOptions.Channels("--std", "per-channel (R,G,B) standard deviations (default: ImageNet's; CLIP: CLIP's)"),
            (o, v) => set(o, get(o) with { Std = v }));
        bound.Add(CheckedOptions.Number("--pixel-scale", "the value of a full-intensity pixel before --mean/--std: 1 (pixels " +
            "in [0,1], torchvision) or 255 (raw 0..255 values, Caffe-style and ML.NET models; --mean and --std then default to 0 and 1)",
            1e-3, 1e6, new ImageOptions().PixelScale),
            (o, v) => set(o, get(o) with { PixelScale = (float)v }));
    }

    /// <summary><paramref name="baseline"/> with these overrides.</summary>
    /// <exception cref="CliException">A mean or standard deviation the preprocessing refuses (the message says which).</exception>
    public ImagePreprocessing Apply(ImagePreprocessing baseline)
    {
        var sized = NoResize ? baseline with { Resize = null, CenterCrop = null }
            : baseline with { Resize = Resize ?? baseline.Resize, CenterCrop = Crop ?? baseline.CenterCrop };
        try
        {
            // Other pixel units than [0,1] (e.g. Caffe's 0..255) leave the ImageNet/CLIP statistics behind: none unless given.
            bool unit = PixelScale == 1;
            return sized with
            {
                Mean = Mean ?? (unit ? sized.Mean : [0f, 0f, 0f]),
                Std = Std ?? (unit ? sized.Std : [1f, 1f, 1f]),
                PixelScale = PixelScale,
            };
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message.Split(Environment.NewLine)[0]);
        }
    }
}
