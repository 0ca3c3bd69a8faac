using DecomCamNet.Cam;
using DecomCamNet.Onnx;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Onnx;

/// <summary>Layer names (node, output tensor, module path), the default layer, feature-map listing and memory.</summary>
public class OnnxLayerTests
{
    private static OnnxModel ShapesNet() => OnnxModel.Load(RepoPaths.Golden("onnx", "shapesnet_opset13.onnx"));

    [Theory]
    [InlineData("/block3/block3.2/Relu")]
    [InlineData("/block3/block3.2/Relu_output_0")]
    [InlineData("block3_block3_2_Relu")]
    public void NodeTensorAndModuleNamesSelectTheSameLayer(string name)
    {
        using var model = ShapesNet();
        var (path, module) = ((CamLayer)name).Resolve(model);
        Assert.Equal("block3_block3_2_Relu", path);
        Assert.Same(model.named_modules().Single(m => m.name == path).module, module);
    }

    [Fact]
    public void AnUnknownNameListsTheNearestNames()
    {
        using var model = ShapesNet();
        var e = Assert.Throws<ArgumentException>(() => ((CamLayer)"/block3/block3.2/Rellu").Resolve(model));
        Assert.Contains("Nearest node and tensor names: /block3/block3.2/Relu,", e.Message);
    }

    [Fact]
    public void TheDefaultLayerIsTheLastFeatureMapBeforeGlobalPooling()
    {
        using var model = ShapesNet();
        Assert.Equal(new long[] { -1, 3, 48, 48 }, model.InputShape);
        Assert.Equal((48, 48), model.FixedImageSize);
        var layer = model.DefaultLayer();
        Assert.Equal("/block3/block3.2/Relu", layer.NodeName);
        Assert.Equal(new long[] { 1, 64, 12, 12 }, layer.OutputShape);
        using var opzoo = OnnxModel.Load(RepoPaths.Golden("onnx", "opzoo_opset17.onnx"));
        Assert.Equal("/Relu_2_output_0", opzoo.DefaultLayer().OutputName);
    }

    [Fact]
    public void ExplainableLayersAreTheFeatureMapsWithTheirShapes()
    {
        using var model = ShapesNet();
        var layers = model.ExplainableLayers(new long[] { 1, 3, 64, 64 });
        Assert.Equal(new[] { "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Conv", "Relu", "GlobalAveragePool" }, layers.Select(l => l.OpType));
        Assert.Equal(new long[] { 1, 64, 16, 16 }, layers[^2].OutputShape);
        Assert.Equal(new long[] { 1, 64, 1, 1 }, layers[^1].OutputShape);
        Assert.Equal(11, model.Nodes.Count);
    }

    [Fact]
    public void InitializersAreParametersAndIntermediatesAreFreed()
    {
        using var model = ShapesNet();
        Assert.Equal(8, model.parameters().Count());                 // 3 folded conv weights and biases, fc weight and bias
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        var x = DeterministicInit.Input(new long[] { 1, 3, 48, 48 });
        using var scope = NewDisposeScope();
        using (no_grad()) model.call(x);
        Assert.Equal(1, scope.DisposablesCount);                     // every intermediate value was freed; the output is left
    }

    [Fact]
    public void AnyModelListsItsFeatureMapLayersWithShapes()
    {
        using var zoo = DecomCamNet.Models.ModelZoo.Create("shapesnet", 4);
        zoo.train();
        var layers = LayerShapes.FeatureMaps(zoo, new long[] { 1, 3, 48, 48 });
        Assert.Equal(new long[] { 1, 64, 12, 12 }, layers.Single(l => l.Name == "block3").Shape);
        Assert.Equal("gap", layers[^1].Name);
        Assert.True(zoo.training);                                    // flags restored
        using var onnx = ShapesNet();
        Assert.Equal(onnx.ExplainableLayers().Select(l => l.OutputShape), LayerShapes.FeatureMaps(onnx, new long[] { 1, 3, 48, 48 }).Select(l => l.Shape));
    }
}
