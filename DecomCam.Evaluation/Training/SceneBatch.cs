using DecomCamNet.Evaluation.Scenes;
using DecomCamNet.Imaging;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Training;

/// <summary>Consecutive generated scenes as one training batch: inputs normalised as <see cref="Scene.ToTensor"/> does,
/// and multi-hot labels.</summary>
internal sealed class SceneBatch
{
    private readonly float[] _pixels;
    private readonly float[] _labels;

    private SceneBatch(float[] pixels, float[] labels, Scene[] scenes, int size, int classes)
    {
        (_pixels, _labels, Scenes, Size, Classes) = (pixels, labels, scenes, size, classes);
    }

    /// <summary>The scenes, in order (their objects are the detection targets).</summary>
    public IReadOnlyList<Scene> Scenes { get; }

    public int Count => Scenes.Count;

    public int Size { get; }

    public int Classes { get; }

    /// <summary>Generates scenes <paramref name="start"/>..+<paramref name="count"/> on the thread pool (managed work only):
    /// the first <paramref name="easyCount"/> from <paramref name="easy"/>, the rest from <paramref name="generator"/>.</summary>
    public static SceneBatch Generate(SceneGenerator generator, int start, int count, int classes, SceneGenerator? easy = null, int easyCount = 0)
    {
        int size = generator.Options.Size, plane = size * size;
        var pixels = new float[(long)count * 3 * plane];
        var labels = new float[count * classes];
        var scenes = new Scene[count];
        var mean = ImagePreprocessing.ImageNetMean;
        var std = ImagePreprocessing.ImageNetStd;
        Parallel.For(0, count, i =>
        {
            var scene = scenes[i] = (i < easyCount ? easy! : generator).Generate(start + i);
            var rgb = scene.Rgb;
            long offset = (long)i * 3 * plane;
            for (int c = 0; c < 3; c++)
            {
                float m = mean[c], s = std[c];
                for (int p = 0; p < plane; p++)
                    pixels[offset + c * plane + p] = (rgb[p * 3 + c] / 255f - m) / s;
            }
            scene.LabelVector(classes).CopyTo(labels, i * classes);
        });
        return new SceneBatch(pixels, labels, scenes, size, classes);
    }

    /// <summary>The inputs <c>[N,3,S,S]</c> and labels <c>[N,classes]</c> as new tensors on <paramref name="device"/>.</summary>
    public (Tensor Inputs, Tensor Labels) ToTensors(Device device) => (Inputs(device), tensor(_labels, new long[] { Count, Classes }, device: device));

    /// <summary>The inputs <c>[N,3,S,S]</c> as a new tensor on <paramref name="device"/>.</summary>
    public Tensor Inputs(Device device) => tensor(_pixels, new long[] { Count, 3, Size, Size }, device: device);
}
