using DecomCamNet.Batches;
using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Imaging;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Batches;

/// <summary>
/// Image sets write the component maps a result declares (<see cref="CamResult.IntermediateImages"/>), whatever the method
/// is called: a method of the tests' own gets its stack written as DecomCAM gets its OSSMs.
/// </summary>
public sealed class DeclaredIntermediatesTests
{
    [Fact]
    public void AnyMethodsDeclaredComponentStackIsWrittenPerImageAndOnlyWhenAskedFor()
    {
        using var dir = new TempDir();
        var inputs = ImageSetInput.Resolve(TestImages.RandomPngs(dir.File("images"), 3)); // 48, 64, 48 px
        using var model = ModelZoo.Create("scenenet");
        model.eval();
        using var cam = new ChannelPartsCam(model, "block4");
        var options = new ImageSetOptions { ImagesPerBatch = 2, Decoders = 1, WriteOverlay = false, WriteComponents = true, Target = 1, Model = "scenenet" };
        var run = new ImageSetRun(cam, ImagePreprocessing.None, CPU, dir.File("out"), options);
        Assert.Equal("map, components", run.Settings["outputs"]);

        var summary = run.Run(inputs, ShardSpec.All, resume: false);
        Assert.Equal((3, 0), (summary.Explained, summary.Failed));
        var rows = Manifest.Read(dir.File("out/manifest.jsonl"));
        Assert.Equal(3, rows.Count);
        foreach (var row in rows)
        {
            string stem = ImageSetRun.OutputStem(row.Input);
            // The map and the declared stack; the concept-drawn intermediate is for pictures of one image, not for sets.
            Assert.Equal(new[] { stem + ".npy", stem + "_parts.npy" }, row.Outputs);
            using var scope = NewDisposeScope();
            using var alone = cam.Explain(ImageLoader.Load(row.Input, ImagePreprocessing.None), 1);
            var expected = alone.Intermediate("parts")[0];
            var written = NpyFile.Read(Path.Combine(dir.File("out"), row.Outputs[1]));
            int size = inputs.ToList().IndexOf(row.Input) % 2 == 0 ? 48 : 64;
            Assert.Equal(new long[] { ChannelPartsCam.Parts, size, size }, written.shape);
            Assert.True(expected.abs().max().item<float>() > 0); // a stack of zeros would compare equal to anything all-zero
            Assert.True(TestTensors.MaxAbsDiff(expected, written) < 1e-4f);
        }

        var plain = new ImageSetRun(cam, ImagePreprocessing.None, CPU, dir.File("plain"), options with { WriteComponents = false });
        Assert.Equal("map", plain.Settings["outputs"]);
        plain.Run(inputs, ShardSpec.All, resume: false);
        Assert.All(Manifest.Read(dir.File("plain/manifest.jsonl")), r => Assert.Single(r.Outputs));
    }

    [Fact]
    public void AResultRefusesToDeclareAnIntermediateItDoesNotHave()
    {
        using var scope = NewDisposeScope();
        var intermediates = new Dictionary<string, Tensor> { ["layer4/parts"] = zeros(1, 2, 4, 4) };
        CamResult Result(IntermediateImage image) => new("test", zeros(1, 4, 4), [zeros(1, 2, 2)], ["layer4"], zeros(1), null, [0],
            intermediates, [image]);

        Assert.Single(Result(new("parts", IntermediateDrawing.ComponentGrid, "parts")).IntermediateImages);
        var e = Assert.Throws<ArgumentException>(() => Result(new("ossm", IntermediateDrawing.ComponentGrid, "ossm")));
        Assert.Contains("'ossm' of layer 'layer4'", e.Message);
        var scores = Assert.Throws<ArgumentException>(() => Result(new("parts", IntermediateDrawing.Concepts, "c", ClassScores: "scores")));
        Assert.Contains("'scores'", scores.Message);
    }

    /// <summary>
    /// Grad-CAM whose result also carries the layer's first <see cref="Parts"/> channels, ReLU'd and resized to the input,
    /// declared as a component stack, and the same channels at feature resolution declared as concepts.
    /// </summary>
    private sealed class ChannelPartsCam(nn.Module<Tensor, Tensor> model, CamLayer layer) : CamMethod(model, [layer], null)
    {
        public const int Parts = 3;

        public override string Name => "channelparts";

        protected override IReadOnlyList<IntermediateImage> IntermediateImages { get; } =
            [new("parts", IntermediateDrawing.ComponentGrid, "parts"), new("small_parts", IntermediateDrawing.Concepts, "small")];

        protected override LayerMap ComputeLayerMap(CamContext context, int layer)
        {
            var a = context.Activations[layer];
            var weights = context.GradientsOf(layer).mean([2, 3], keepdim: true);
            var small = nn.functional.relu(a.narrow(1, 0, Parts));
            return LayerMap.OfChannels(weights * a, new Dictionary<string, Tensor>
            {
                ["parts"] = CamKernels.Resize(small, context.Height, context.Width),
                ["small_parts"] = small,
            });
        }
    }
}
