using System.Reflection;
using DecomCamNet.Tests.Support;
using Xunit.Abstractions;

namespace DecomCamNet.Tests.Onnx;

/// <summary>
/// Real weights: the ImageNet-trained ResNet-18 body that Microsoft.ML.DnnImageFeaturizer.ResNet18 ships (a CNTK 2.6
/// export, opset 8, with asymmetric convolution and pooling pads and unfolded BatchNormalization) loads and matches
/// ONNX Runtime on its output and on a spread of feature maps.
/// </summary>
[Collection(OneDnnOffCollection.Name)]
public class OnnxRealWeightsTests(ITestOutputHelper output)
{
    public static string ResNet18Path => typeof(OnnxRealWeightsTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ResNet18Onnx").Value!;

    public static string PreprocessPath => typeof(OnnxRealWeightsTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ResNetPreprocessOnnx").Value!;

    [Fact]
    public void ItsPreprocessingGraphMatchesOnnxRuntime()
    {
        // Split into R, G, B, concatenated as B, G, R, minus the mean image: 0..255 values, float32 subtraction.
        var worst = OnnxParity.Compare(PreprocessPath, new long[] { 1, 3, 224, 224 }, output);
        Assert.True(worst < 1e-6, $"worst scaled difference {worst:g3}");
    }

    [Fact]
    public void DnnImageFeaturizerResNet18MatchesOnnxRuntime()
    {
        Assert.True(File.Exists(ResNet18Path), $"{ResNet18Path} is missing: the test project downloads Microsoft.ML.DnnImageFeaturizer.ResNet18 on restore");
        var worst = OnnxParity.Compare(ResNet18Path, new long[] { 1, 3, 224, 224 }, output, maxLayers: 12);
        Assert.True(worst < 1e-4, $"worst scaled difference {worst:g3}");
    }
}
