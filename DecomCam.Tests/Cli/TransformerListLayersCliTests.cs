using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Cli;

/// <summary><c>--list-layers</c> on the zoo's ViT and Swin: token layers with the feature map the default reshape makes of them.</summary>
public sealed class TransformerListLayersCliTests : CliRun
{
    [Fact]
    public void VitListsTokenLayersWithTheirGridAndMarksTheDefault()
    {
        var (code, output, err) = Run("explain", "--model", "vit-b-16", "--random-weights", "--list-layers");
        Assert.True(code == 0, err);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Equal("encoder.layers.encoder_layer_11.ln_1 [1,197,768] -> [1,768,14,14]  (default)",
            Assert.Single(lines, l => l.EndsWith("(default)", StringComparison.Ordinal)));
        Assert.Contains("encoder.layers.encoder_layer_3.mlp.0 [1,197,3072] -> [1,3072,14,14]", lines);
        Assert.Contains("conv_proj [1,768,14,14]  (--reshape none)", lines);

        (code, output, err) = Run("explain", "--model", "vit-b-16", "--random-weights", "--list-layers", "--reshape", "none");
        Assert.True(code == 0, err);
        Assert.Contains("conv_proj [1,768,14,14]\n", output.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("ln_1", output);
    }

    [Fact]
    public void SwinListsItsStagesPermutedAndMarksTheLastStage()
    {
        var (code, output, err) = Run("explain", "--model", "swin-t", "--random-weights", "--list-layers");
        Assert.True(code == 0, err);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Equal("features.7 [1,7,7,768] -> [1,768,7,7]  (default)", Assert.Single(lines, l => l.EndsWith("(default)", StringComparison.Ordinal)));
        Assert.Contains("features.3 [1,28,28,192] -> [1,192,28,28]", lines);
        Assert.Contains("features.0.0 [1,96,56,56]  (--reshape none)", lines);
    }
}
