using DecomCamNet.Batches;
using DecomCamNet.Imaging;
using DecomCamNet.Tests.Imaging;
using DecomCamNet.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Batches;

/// <summary>
/// A batch that the method refuses with a <see cref="CamException"/> because of one of its images is explained again one
/// image at a time: the other images get the maps a batch of one gives, the bad one alone a failed row. A cancellation is
/// not retried.
/// </summary>
[Collection(ProcessTensorsCollection.Name)]
public sealed class ImageSetRetryTests
{
    private const string Blank = "img001-blank.png";

    [Fact]
    public void ABatchRefusedForOneImageIsExplainedOneImageAtATimeAndOnlyThatImageFails()
    {
        using var dir = new TempDir();
        var inputs = Inputs(dir);
        using var model = new ChannelRangeNet();
        using var cam = new GradCam(model, "net.features");
        var logger = new ListLogger();
        var options = new ImageSetOptions { ImagesPerBatch = 4, Decoders = 1, WriteOverlay = false, Target = 1, Model = "channel-range" };

        long live = TestTensors.ProcessLiveTensorsAfterCollection();
        var batched = new ImageSetRun(cam, ImagePreprocessing.None, CPU, dir.File("batched"), options, logger).Run(inputs, ShardSpec.All, resume: false);
        Assert.Equal(live, Tensor.TotalCount);
        var single = new ImageSetRun(cam, ImagePreprocessing.None, CPU, dir.File("single"), options with { ImagesPerBatch = 1 }).Run(inputs, ShardSpec.All, resume: false);

        Assert.Equal((3, 1, 0, 1), (batched.Explained, batched.Failed, batched.Skipped, batched.RetriedBatches));
        Assert.Equal((3, 1, 0, 0), (single.Explained, single.Failed, single.Skipped, single.RetriedBatches));
        const string nan = "The model output contains NaN or infinity for this input.";
        Assert.Equal($"The method refused a batch of 4 images ({nan}); explaining them one at a time.", Assert.Single(logger.Messages));
        var rows = Manifest.Read(dir.File("batched/manifest.jsonl"));
        var alone = Manifest.Read(dir.File("single/manifest.jsonl"));
        Assert.Equal(inputs, rows.Select(r => r.Input));
        Assert.Equal(inputs, alone.Select(r => r.Input));
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i].Input.EndsWith(Blank, StringComparison.Ordinal))
            {
                Assert.Equal((nan, nan, 0, (float?)null), (rows[i].Error, alone[i].Error, rows[i].Outputs.Count, rows[i].Score));
                continue;
            }
            Assert.Null(rows[i].Error);
            Assert.Equal((alone[i].Class, alone[i].Score), (rows[i].Class, rows[i].Score));
            using var map = NpyFile.Read(Path.Combine(dir.File("batched"), Assert.Single(rows[i].Outputs)));
            using var expected = NpyFile.Read(Path.Combine(dir.File("single"), Assert.Single(alone[i].Outputs)));
            Assert.Equal(new long[] { 48, 48 }, map.shape);
            Assert.InRange(TestTensors.MaxAbsDiff(map, expected), 0f, 1e-6f);
        }
    }

    [Fact]
    public void ACancellationDuringABatchStopsTheRunWithoutExplainingItsImagesAgain()
    {
        using var dir = new TempDir();
        var inputs = Inputs(dir).Where(p => !p.EndsWith(Blank, StringComparison.Ordinal)).ToList();
        using var model = new ChannelRangeNet();
        using var cam = new GradCam(model, "net.features");
        using var cancel = new CancellationTokenSource();
        int calls = 0;
        // The user cancels while the batch is being scored.
        var target = CamTarget.Custom(output =>
        {
            calls++;
            cancel.Cancel();
            cancel.Token.ThrowIfCancellationRequested();
            return output.select(1, 1);
        }, "cancelled");
        var options = new ImageSetOptions { ImagesPerBatch = 3, Decoders = 1, WriteOverlay = false, Target = target, Model = "channel-range" };
        var run = new ImageSetRun(cam, ImagePreprocessing.None, CPU, dir.File("out"), options);

        long live = TestTensors.ProcessLiveTensorsAfterCollection();
        Assert.ThrowsAny<OperationCanceledException>(() => run.Run(inputs, ShardSpec.All, resume: false, cancellationToken: cancel.Token));
        Assert.Equal(live, Tensor.TotalCount);
        Assert.Equal(1, calls);
        Assert.Empty(Manifest.Read(dir.File("out/manifest.jsonl")));
    }

    [Fact]
    public void ACancellationStopsALongMethodCallBetweenItsMaskedBatches()
    {
        using var dir = new TempDir();
        var inputs = Inputs(dir).Where(p => !p.EndsWith(Blank, StringComparison.Ordinal)).ToList();
        using var model = new ChannelRangeNet();
        using var cam = new ScoreCam(model, "net.features", new ScoreCamOptions(BatchSize: 1));
        using var cancel = new CancellationTokenSource();
        int calls = 0;
        // The user cancels during the first forward of the call; Score-CAM's masked forwards (one per channel, batches of
        // one) check the run's token before each batch, so none of them runs.
        var target = CamTarget.Custom(output =>
        {
            calls++;
            cancel.Cancel();
            return output.select(1, 1);
        }, "cancelling");
        var options = new ImageSetOptions { ImagesPerBatch = 3, Decoders = 1, WriteOverlay = false, Target = target, Model = "channel-range" };
        var run = new ImageSetRun(cam, ImagePreprocessing.None, CPU, dir.File("out"), options);

        Assert.ThrowsAny<OperationCanceledException>(() => run.Run(inputs, ShardSpec.All, resume: false, cancellationToken: cancel.Token));
        Assert.Equal(1, calls);
        Assert.Empty(Manifest.Read(dir.File("out/manifest.jsonl")));
    }

    /// <summary>Three random 48-px images and a black one, sorted (the black one second).</summary>
    private static IReadOnlyList<string> Inputs(TempDir dir)
    {
        string folder = TestImages.RandomPngs(dir.File("images"), 3, size: 48);
        using (var black = new Image<Rgb24>(48, 48)) black.SaveAsPng(Path.Combine(folder, Blank));
        return ImageSetInput.Resolve(folder);
    }

    /// <summary>
    /// Scales each input channel by its range before <see cref="ConvGapLinear"/>: the channels of a black image have none,
    /// so its output is 0/0, NaN, and the method refuses any batch that holds it.
    /// </summary>
    private sealed class ChannelRangeNet : nn.Module<Tensor, Tensor>
    {
        public readonly ConvGapLinear net = new();

        public ChannelRangeNet() : base(nameof(ChannelRangeNet)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            var low = x.amin(new long[] { 2, 3 }, keepdim: true);
            return net.call((x - low) / (x.amax(new long[] { 2, 3 }, keepdim: true) - low));
        }
    }
}
