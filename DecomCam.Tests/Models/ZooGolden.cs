using DecomCamNet.Imaging;

namespace DecomCamNet.Tests.Models;

/// <summary>Paths and parsers for the goldens written by reference/zoo_logits.py.</summary>
internal static class ZooGolden
{
    public static readonly long[] InputShape = [2, 3, 64, 64];

    /// <summary>The input of a model's parity golden: <see cref="InputShape"/>, or one 224x224 image for the ViTs (their
    /// position embedding fixes the size), one 128x128 image for the scene ViT.</summary>
    public static long[] InputShapeOf(string model) =>
        model == "scenevit" ? [1, 3, 128, 128] : model.StartsWith("vit", StringComparison.Ordinal) ? [1, 3, 224, 224] : InputShape;

    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Golden", "zoo");

    public static string File(string name) => Path.Combine(Dir, name);

    public static (float[] Data, long[] Shape) Logits(string model) => ReadFloat32(File($"{model}_logits.npy"));

    public static (float[] Data, long[] Shape) ReadFloat32(string path)
    {
        using var t = NpyFile.Read(path);
        return (t.data<float>().ToArray(), t.shape);
    }

    /// <summary>(key, shape, dtype) per state-dict entry, in PyTorch's state-dict order.</summary>
    public static List<(string Key, long[] Shape, string DType)> Keys(string model) =>
        System.IO.File.ReadAllLines(File($"{model}_keys.txt"))
            .Where(line => line.Length > 0)
            .Select(line =>
            {
                var parts = line.Split('\t');
                var shape = parts[1].Length == 0 ? [] : parts[1].Split(',').Select(long.Parse).ToArray();
                return (parts[0], shape, parts[2]);
            })
            .ToList();

    public static IEnumerable<object[]> AllModels() => DecomCamNet.Models.ModelZoo.Names.Select(n => new object[] { n });
}

internal static class TensorAssert
{
    /// <summary>True when shapes, dtypes and every element are identical.</summary>
    public static bool Identical(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
