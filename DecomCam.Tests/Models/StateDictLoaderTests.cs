using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Models;

public sealed class StateDictLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("decomcam-zoo-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string TempFile(string name) => Path.Combine(_dir, name);

    private static ShapesNet ReferenceShapesNet() => DeterministicInit.FillModule(new ShapesNet());

    /// <summary>A state dict of fresh copies (so the dictionary can be edited and saved without touching a model).</summary>
    private static Dictionary<string, Tensor> CopyOf(nn.Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    private static void AssertSameParameters(nn.Module expected, nn.Module actual)
    {
        var e = expected.state_dict();
        var a = actual.state_dict();
        Assert.Equal(e.Keys.OrderBy(k => k), a.Keys.OrderBy(k => k));
        foreach (var (key, t) in e)
        {
            Assert.Equal(t.dtype, a[key].dtype);
            Assert.True(TensorAssert.Identical(t, a[key]), $"{key} differs");
        }
    }

    private static void AssertGoldenLogits(nn.Module<Tensor, Tensor> model)
    {
        var (golden, shape) = ZooGolden.Logits("shapesnet");
        using var noGrad = no_grad();
        model.eval();
        var logits = model.call(DeterministicInit.Input(ZooGolden.InputShape));
        Assert.Equal(shape, logits.shape);
        var mine = logits.data<float>().ToArray();
        // Logits of order 1 through a small network: float32 differences between PyTorch 1.13 and libtorch 2.10 kernels and
        // instruction sets stay near 1e-6 (checked with 1 and 2 threads, AVX2 and SSE4.1); a wrong or transposed weight
        // changes them by > 1e-2.
        for (int i = 0; i < mine.Length; i++)
            Assert.True(Math.Abs(mine[i] - golden[i]) <= 1e-5f, $"logit {i}: {mine[i]} vs golden {golden[i]}");
    }

    [Theory]
    [InlineData("shapesnet_detinit.pth")]
    [InlineData("shapesnet_detinit.safetensors")]
    public void LoadsPythonWrittenFiles(string file)
    {
        using var scope = NewDisposeScope();
        using var model = new ShapesNet();
        var result = StateDictLoader.Load(model, ZooGolden.File(file));

        Assert.Equal(ZooGolden.Keys("shapesnet").Count, result.TensorsLoaded);
        Assert.Equal(23, result.TensorsLoaded);
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        Assert.Null(result.StrippedPrefix);
        using var reference = ReferenceShapesNet();
        AssertSameParameters(reference, model);
        AssertGoldenLogits(model);
    }

    [Fact]
    public void MissingKeyIsNamedAndNothingIsCopied()
    {
        using var scope = NewDisposeScope();
        using var reference = ReferenceShapesNet();
        var sd = CopyOf(reference);
        sd.Remove("fc.bias");
        var path = TempFile("missing.safetensors");
        Safetensors.SaveStateDict(path, sd);

        using var model = new ShapesNet();
        var before = model.state_dict()["block1.0.weight"].clone();
        var ex = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(model, path));
        Assert.Contains("fc.bias", ex.Message);
        Assert.Contains("missing", ex.Message);
        Assert.Contains(path, ex.Message);
        Assert.Equal(new[] { "fc.bias" }, (string[])ex.Data[StateDictLoader.MissingKeysDataKey]!);
        Assert.True(TensorAssert.Identical(before, model.state_dict()["block1.0.weight"]), "model was modified");

        // Non-strict: loads the rest and reports the gap.
        var result = StateDictLoader.Load(model, path, strict: false);
        Assert.Equal(22, result.TensorsLoaded);
        Assert.Equal(new[] { "fc.bias" }, result.MissingKeys);
        Assert.True(TensorAssert.Identical(reference.state_dict()["block1.0.weight"], model.state_dict()["block1.0.weight"]));
    }

    [Fact]
    public void UnexpectedKeyIsNamed()
    {
        using var scope = NewDisposeScope();
        using var reference = ReferenceShapesNet();
        var sd = CopyOf(reference);
        sd["head.extra.weight"] = ones(3, 3);
        var path = TempFile("unexpected.safetensors");
        Safetensors.SaveStateDict(path, sd);

        using var model = new ShapesNet();
        var ex = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(model, path));
        Assert.Contains("head.extra.weight", ex.Message);
        Assert.Contains("unexpected", ex.Message);

        var result = StateDictLoader.Load(model, path, strict: false);
        Assert.Equal(23, result.TensorsLoaded);
        Assert.Equal(new[] { "head.extra.weight" }, result.UnexpectedKeys);
        AssertSameParameters(reference, model);
    }

    [Fact]
    public void ShapeMismatchNamesKeyAndBothShapesEvenWhenNotStrict()
    {
        using var scope = NewDisposeScope();
        using var tenClasses = DeterministicInit.FillModule(new ShapesNet(10));
        var path = TempFile("ten.pth");
        PyTorchPickler.PickleStateDict(path, CopyOf(tenClasses));

        using var model = new ShapesNet();
        foreach (var strict in new[] { true, false })
        {
            var ex = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(model, path, strict));
            Assert.Contains("fc.weight: file [10, 64] vs model [4, 64]", ex.Message);
            Assert.Contains("fc.bias: file [10] vs model [4]", ex.Message);
            Assert.DoesNotContain("block1", ex.Message);
        }
    }

    [Theory]
    [InlineData("corrupt.safetensors")]
    [InlineData("corrupt.pth")]
    [InlineData("corrupt.bin")]
    public void CorruptFileIsInvalidDataNamingThePath(string file)
    {
        var path = TempFile(file);
        var bytes = new byte[4096];
        new Random(1234).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        using var model = new ShapesNet();
        var ex = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(model, path));
        Assert.Contains(path, ex.Message);
        Assert.NotNull(ex.InnerException);
    }

    [Fact]
    public void TruncatedSafetensorsIsInvalidData()
    {
        var full = File.ReadAllBytes(ZooGolden.File("shapesnet_detinit.safetensors"));
        var path = TempFile("truncated.safetensors");
        File.WriteAllBytes(path, full[..(full.Length / 2)]);
        using var model = new ShapesNet();
        var ex = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(model, path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void TruncatedPthIsInvalidData()
    {
        var full = File.ReadAllBytes(ZooGolden.File("shapesnet_detinit.pth"));
        var path = TempFile("truncated.pth");
        File.WriteAllBytes(path, full[..(full.Length / 2)]);
        using var model = new ShapesNet();
        var ex = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(model, path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void MissingFileIsFileNotFoundNamingThePath()
    {
        var path = TempFile("nowhere.safetensors");
        using var model = new ShapesNet();
        var ex = Assert.Throws<FileNotFoundException>(() => StateDictLoader.Load(model, path));
        Assert.Contains(path, ex.Message);
        Assert.Equal(path, ex.FileName);
    }

    [Fact]
    public void UnknownExtensionIsArgumentException()
    {
        var path = TempFile("weights.onnx");
        File.WriteAllBytes(path, [1, 2, 3]);
        using var model = new ShapesNet();
        var ex = Assert.Throws<ArgumentException>(() => StateDictLoader.Load(model, path));
        Assert.Contains(".onnx", ex.Message);
    }

    [Theory]
    [InlineData("dp.safetensors")]
    [InlineData("dp.pth")]
    public void DataParallelPrefixIsStripped(string file)
    {
        using var scope = NewDisposeScope();
        using var reference = ReferenceShapesNet();
        var sd = CopyOf(reference).ToDictionary(kv => "module." + kv.Key, kv => kv.Value);
        var path = TempFile(file);
        if (file.EndsWith(".pth", StringComparison.Ordinal))
            PyTorchPickler.PickleStateDict(path, sd);
        else
            Safetensors.SaveStateDict(path, sd);

        using var model = new ShapesNet();
        var result = StateDictLoader.Load(model, path);
        Assert.Equal("module.", result.StrippedPrefix);
        Assert.Equal(23, result.TensorsLoaded);
        AssertSameParameters(reference, model);
    }

    [Fact]
    public void ConvertsDtypeToTheModels()
    {
        using var scope = NewDisposeScope();
        using var reference = ReferenceShapesNet();
        var sd = CopyOf(reference).ToDictionary(
            kv => kv.Key, kv => kv.Value.is_floating_point() ? kv.Value.to(ScalarType.Float64) : kv.Value);
        var path = TempFile("f64.safetensors");
        Safetensors.SaveStateDict(path, sd);

        using var model = new ShapesNet();
        StateDictLoader.Load(model, path);
        AssertSameParameters(reference, model); // float32 -> float64 -> float32 round-trips exactly
    }

    [Fact]
    public void MissingNumBatchesTrackedIsToleratedLikePyTorch()
    {
        using var scope = NewDisposeScope();
        using var reference = ReferenceShapesNet();
        var sd = CopyOf(reference).Where(kv => !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var path = TempFile("old.safetensors");
        Safetensors.SaveStateDict(path, sd);

        using var model = new ShapesNet();
        var result = StateDictLoader.Load(model, path);
        Assert.Equal(20, result.TensorsLoaded);
        Assert.Empty(result.MissingKeys);
        AssertGoldenLogits(model);
    }

    [Fact]
    public void LoadsIntoAZooResNet()
    {
        // A C#-written torch.save-format file of a whole ResNet-18 (122 tensors) round-trips through the loader.
        using var scope = NewDisposeScope();
        using var reference = DeterministicInit.FillModule(ModelZoo.Create("resnet18"));
        var path = TempFile("resnet18.pth");
        PyTorchPickler.PickleStateDict(path, CopyOf(reference));
        using var model = ModelZoo.Create("resnet18");
        var result = StateDictLoader.Load(model, path);
        Assert.Equal(122, result.TensorsLoaded);
        AssertSameParameters(reference, model);
    }
}
