using TorchSharp;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Onnx;
using static TorchSharp.torch;

namespace DecomCamNet.Cli;

/// <summary><c>--model PATH.onnx</c>: the imported graph (weights from the file) and the preprocessing its input asks for.</summary>
internal static class OnnxSetup
{
    /// <summary>Whether <paramref name="model"/> names an ONNX file rather than a zoo model.</summary>
    public static bool IsOnnx(string model) => model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    /// <summary>Imports <paramref name="path"/> onto <paramref name="device"/>, in evaluation mode.</summary>
    public static OnnxModel Load(CliOptions options, string path, Device device)
    {
        if (options.Weights is not null || options.RandomWeights)
            throw new CliException("--weights and --random-weights do not go with an ONNX model: the file holds its weights.");
        if (options.NumClasses is not null)
            throw new CliException("--num-classes does not go with an ONNX model: the graph fixes its outputs.");
        return Import(path, device, "ONNX model");
    }

    /// <summary><c>--preprocess-onnx</c>: the graph run on each image before the model, with the model around it.</summary>
    public static nn.Module<Tensor, Tensor> WithPreprocessing(CliOptions options, nn.Module<Tensor, Tensor> model, Device device) =>
        options.PreprocessOnnx is null ? model : new PreprocessedModel(Import(options.PreprocessOnnx, device, "preprocessing graph"), model);

    private static OnnxModel Import(string path, Device device, string what)
    {
        if (!File.Exists(path)) throw new CliException($"{char.ToUpperInvariant(what[0])}{what[1..]} '{path}' does not exist.");
        OnnxModel model;
        try
        {
            model = OnnxModel.Load(path);
        }
        catch (OnnxImportException e)
        {
            throw new CliException($"{what} '{path}': {e.Message}");
        }
        model.to(device);
        model.eval();
        return model;
    }

    /// <summary>
    /// ImageNet normalisation; a square fixed input size N from the graph resizes the shorter side to N and crops N x N,
    /// a dynamic one takes ImageNet's 256/224, and a non-square fixed one uses images as they are (give that size).
    /// </summary>
    public static ImagePreprocessing Preprocessing(OnnxModel model) => model.FixedImageSize switch
    {
        null => ImagePreprocessing.ImageNet,
        var (h, w) when h == w => ImagePreprocessing.ImageNet with { Resize = h, CenterCrop = h },
        _ => ImagePreprocessing.None,
    };
}
