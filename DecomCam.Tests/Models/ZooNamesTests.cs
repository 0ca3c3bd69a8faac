using DecomCamNet.Models;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Models;

public class ZooNamesTests
{
    [Theory]
    [MemberData(nameof(ZooGolden.AllModels), MemberType = typeof(ZooGolden))]
    public void StateDictMatchesTorchvisionKeysAndShapes(string name)
    {
        // Key set, shapes and dtypes must equal torchvision's. Order is not compared: TorchSharp's state_dict()
        // lists all parameters before all buffers, PyTorch interleaves them module by module.
        var expected = ZooGolden.Keys(name).ToDictionary(e => e.Key);
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create(name, device: META); // structure only: no weight memory
        var actual = model.state_dict();

        var missing = expected.Keys.Where(k => !actual.ContainsKey(k)).ToList();
        var extra = actual.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"{name}: missing [{string.Join(", ", missing.Take(10))}], extra [{string.Join(", ", extra.Take(10))}]");
        foreach (var (key, t) in actual)
        {
            var e = expected[key];
            Assert.True(e.Shape.SequenceEqual(t.shape),
                $"{key}: torchvision [{string.Join(",", e.Shape)}], ours [{string.Join(",", t.shape)}]");
            Assert.Equal(e.DType, t.dtype.ToString().ToLowerInvariant());
        }
    }

    [Theory]
    [InlineData("resnet18", "layer4")]
    [InlineData("resnet18", "layer4.1.conv2")]
    [InlineData("resnet18", "layer2.0.downsample.0")]
    [InlineData("resnet50", "layer4.2.conv3")]
    [InlineData("resnet152", "layer3.35.bn3")]
    [InlineData("vgg16", "features.29")]
    [InlineData("vgg16", "classifier.6")]
    [InlineData("vgg16_bn", "features.42")]
    [InlineData("shapesnet", "block3")]
    [InlineData("shapesnet", "block1.0")]
    [InlineData("scenenet", "block4.2")]
    [InlineData("vit-b-16", "encoder.layers.encoder_layer_11.ln_1")]
    [InlineData("vit-b-16", "encoder.layers.encoder_layer_11.self_attention.attn_probs")]
    [InlineData("swin-t", "features.7.1.attn.attn_probs")]
    [InlineData("swin-t", "features.6.reduction")]
    public void NamedModulesContainTorchvisionNames(string model, string layer)
    {
        using var scope = NewDisposeScope();
        using var m = ModelZoo.Create(model, device: META);
        Assert.Contains(layer, m.named_modules().Select(nm => nm.name));
    }

    [Fact]
    public void ShapesNetChildrenAreInSpecOrder()
    {
        using var m = new ShapesNet();
        Assert.Equal(
            ["block1", "pool1", "block2", "pool2", "block3", "gap", "fc"],
            m.named_children().Select(c => c.name));
    }

    [Theory]
    [InlineData("resnet18", "layer4")]
    [InlineData("resnet152", "layer4")]
    [InlineData("vgg11", "features.19")]
    [InlineData("vgg11_bn", "features.27")]
    [InlineData("vgg13", "features.23")]
    [InlineData("vgg13_bn", "features.33")]
    [InlineData("vgg16", "features.29")]
    [InlineData("vgg16_bn", "features.42")]
    [InlineData("vgg19", "features.35")]
    [InlineData("vgg19_bn", "features.51")]
    [InlineData("shapesnet", "block3")]
    [InlineData("ShapesNet", "block3")]
    [InlineData("scenenet", "block4")]
    [InlineData("vit-b-16", "encoder.layers.encoder_layer_11.ln_1")]
    [InlineData("vit-b-32", "encoder.layers.encoder_layer_11.ln_1")]
    [InlineData("swin-t", "features.7")]
    public void DefaultLayer(string model, string expected) => Assert.Equal(expected, ModelZoo.DefaultLayer(model));

    [Fact]
    public void TransformersComeWithTheirTokenReshapeAndTorchvisionPreprocessing()
    {
        Assert.Equal(ActivationReshape.Vit, ModelZoo.DefaultReshape("vit-b-16"));
        Assert.Equal(ActivationReshape.Vit, ModelZoo.DefaultReshape("ViT-B-32"));
        Assert.Equal(ActivationReshape.Swin, ModelZoo.DefaultReshape("swin-t"));
        Assert.Equal(ActivationReshape.None, ModelZoo.DefaultReshape("resnet50"));
        Assert.Equal(DecomCamNet.Imaging.ImagePreprocessing.ImageNet, ModelZoo.Preprocessing("vit-b-16"));
        var swin = ModelZoo.Preprocessing("swin-t");
        Assert.Equal((232, 224, DecomCamNet.Imaging.ResizeFilter.Bicubic), (swin.Resize, swin.CenterCrop, swin.Filter));
    }

    [Theory]
    [InlineData("vgg11")]
    [InlineData("vgg11_bn")]
    [InlineData("vgg13")]
    [InlineData("vgg13_bn")]
    [InlineData("vgg16")]
    [InlineData("vgg16_bn")]
    [InlineData("vgg19")]
    [InlineData("vgg19_bn")]
    public void VggDefaultLayerIsTheLastReluOfFeatures(string name)
    {
        // Independent of LastReluIndex: derived from torchvision's key list (convs carry weights, ReLUs do not).
        var featureIndices = ZooGolden.Keys(name)
            .Where(k => k.Key.StartsWith("features.", StringComparison.Ordinal))
            .Select(k => int.Parse(k.Key.Split('.')[1]))
            .ToList();
        int lastParamLayer = featureIndices.Max();       // the last conv or batch norm
        int expected = lastParamLayer + 1;               // its ReLU
        Assert.Equal($"features.{expected}", ModelZoo.DefaultLayer(name));
    }

    [Fact]
    public void NamesListsAllNineteenModels()
    {
        Assert.Equal(20, ModelZoo.Names.Count);
        Assert.Contains("vit-b-16", ModelZoo.Names);
        Assert.Contains("vit-b-32", ModelZoo.Names);
        Assert.Contains("swin-t", ModelZoo.Names);
        Assert.Contains("resnet152", ModelZoo.Names);
        Assert.Contains("vgg19_bn", ModelZoo.Names);
        Assert.Contains("shapesnet", ModelZoo.Names);
        Assert.Contains("scenenet", ModelZoo.Names);
        Assert.Contains("scenedet", ModelZoo.Names);
        Assert.Contains("scenevit", ModelZoo.Names);
    }

    [Fact]
    public void UnknownNameListsValidNames()
    {
        var ex = Assert.Throws<ArgumentException>(() => ModelZoo.Create("resnet19"));
        Assert.Contains("resnet19", ex.Message);
        foreach (var name in ModelZoo.Names)
            Assert.Contains(name, ex.Message);
        Assert.Throws<ArgumentException>(() => ModelZoo.DefaultLayer("alexnet"));
    }

    [Fact]
    public void MetaDeviceBuildsWithoutWeights()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("vgg19_bn", device: META);
        Assert.All(model.parameters(), p => Assert.True(p.is_meta));
    }

    [Fact]
    public void CreateIsCaseInsensitiveAndHonoursNumClasses()
    {
        using var scope = NewDisposeScope();
        using var a = ModelZoo.Create("ResNet18", numClasses: 10);
        Assert.Equal([10L, 512L], a.state_dict()["fc.weight"].shape);
        using var b = ModelZoo.Create("SHAPESNET");
        Assert.Equal([4L, 64L], b.state_dict()["fc.weight"].shape);
        Assert.False(b.training);
    }
}
