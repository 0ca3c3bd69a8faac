using DecomCamNet.Cam;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

/// <summary>
/// <see cref="LayerShapes.Explainable"/> on the reduced seeded ViT and Swin of reference/vit_reference.py: token layers
/// listed with their feature maps under the model's reshape, feature-map layers that need no reshape kept as they are,
/// everything else left out.
/// </summary>
public class TransformerLayerShapesTests
{
    private static Dictionary<string, LayerShape> Listed(nn.Module<Tensor, Tensor> model, long[] input, ActivationReshape reshape) =>
        LayerShapes.Explainable(model, input, reshape).ToDictionary(l => l.Name);

    [Fact]
    public void VitTokensBecomeTheirGridAndTheConvolutionNeedsNoReshape()
    {
        using var scope = NewDisposeScope();
        using var vit = VitLoader.LoadTorchvision(RepoPaths.Golden("vit", "vit_torchvision.safetensors"), heads: 2);
        var layers = Listed(vit, [2, 3, 32, 32], ActivationReshape.Vit);

        var ln1 = layers["encoder.layers.encoder_layer_1.ln_1"];
        Assert.Equal(new long[] { 2, 17, 16 }, ln1.OutputShape);
        Assert.Equal(new long[] { 2, 16, 4, 4 }, ln1.FeatureMapShape);
        Assert.Equal(ActivationReshape.Vit, ln1.Reshape);
        Assert.Equal(new long[] { 2, 32, 4, 4 }, layers["encoder.layers.encoder_layer_0.mlp.0"].FeatureMapShape);

        var conv = layers["conv_proj"];
        Assert.Equal(ActivationReshape.None, conv.Reshape);
        Assert.Equal(new long[] { 2, 16, 4, 4 }, conv.FeatureMapShape);
        Assert.False(layers.ContainsKey("heads.head"), "logits [N,10] are no feature map");

        // Without a reshape only the 4-D outputs remain, as FeatureMaps lists them.
        Assert.Equal(LayerShapes.FeatureMaps(vit, [2, 3, 32, 32]).Select(l => l.Name),
            LayerShapes.Explainable(vit, [2, 3, 32, 32], ActivationReshape.None).Select(l => l.Name));
        Assert.DoesNotContain(LayerShapes.FeatureMaps(vit, [2, 3, 32, 32]), l => l.Name.EndsWith("ln_1", StringComparison.Ordinal));
    }

    [Fact]
    public void SwinGridsArePermutedAndConvolutionsAttentionAndPoolingAreNot()
    {
        using var scope = NewDisposeScope();
        using var swin = new SwinTransformer(new SwinConfig(4, 8, [2, 2], [2, 2], 4, NumClasses: 10));
        StateDictLoader.Load(swin, RepoPaths.Golden("vit", "swin.pth"));
        var layers = Listed(swin, [1, 3, 56, 56], ActivationReshape.Swin);

        var stage = layers["features.3"];
        Assert.Equal(new long[] { 1, 7, 7, 16 }, stage.OutputShape);
        Assert.Equal(new long[] { 1, 16, 7, 7 }, stage.FeatureMapShape);
        Assert.Equal(ActivationReshape.Swin, stage.Reshape);

        foreach (var (name, shape) in new (string, long[])[] { ("features.0.0", [1, 8, 14, 14]), ("avgpool", [1, 16, 1, 1]) })
        {
            Assert.Equal(ActivationReshape.None, layers[name].Reshape);
            Assert.Equal(shape, layers[name].FeatureMapShape);
        }
        Assert.Equal(ActivationReshape.None, layers["permute"].Reshape);
        Assert.False(layers.ContainsKey("features.3.1.attn.attn_probs"), "[4 windows, 2, 16, 16] at batch 1 is no feature map");
    }
}
