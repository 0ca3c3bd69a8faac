using DecomCamNet.Batches;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Imaging;
using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Batches;

public sealed class ImageSetRunTests
{
    [Fact]
    public void BatchesGroupImagesBySizeThroughABoundedQueueAndLeaveNoTensors()
    {
        using var dir = new TempDir();
        var inputs = ImageSetInput.Resolve(TestImages.RandomPngs(dir.File("images"), 7)); // 48 and 64 px, alternating
        using var model = ModelZoo.Create("scenenet");
        model.eval();
        using var cam = new GradCam(model, "block4");
        var options = new ImageSetOptions { ImagesPerBatch = 3, QueueCapacity = 1, Decoders = 2, WriteOverlay = false, Target = 2, Model = "scenenet" };
        var run = new ImageSetRun(cam, ImagePreprocessing.None, TorchSharp.torch.CPU, dir.File("out"), options);

        long live = TestTensors.LiveTensors;
        var summary = run.Run(inputs, ShardSpec.All, resume: false);
        Assert.Equal(live, TestTensors.LiveTensors);

        Assert.Equal((7, 0, 0), (summary.Explained, summary.Failed, summary.Skipped));
        Assert.InRange(summary.StartupWaitSeconds, 0, summary.WaitSeconds);
        Assert.Equal(summary.WaitSeconds / (summary.WaitSeconds + summary.ModelSeconds + summary.WriterWaitSeconds), summary.WaitShare, 12);
        Assert.Equal(summary.WriterWaitSeconds / summary.ThreadSeconds, summary.WriterWaitShare, 12);
        Assert.InRange(summary.SteadyWaitShare, 0, summary.WaitShare);
        var rows = Manifest.Read(dir.File("out/manifest.jsonl"));
        Assert.Equal(inputs, rows.Select(r => r.Input).Order(StringComparer.Ordinal));
        foreach (var row in rows)
        {
            Assert.Equal((2L, "class 2", "gradcam", "block4"), (row.Class, row.Target, row.Method, row.Layer));
            using var map = NpyFile.Read(Path.Combine(dir.File("out"), Assert.Single(row.Outputs)));
            int size = inputs.ToList().IndexOf(row.Input) % 2 == 0 ? 48 : 64;
            Assert.Equal(new long[] { size, size }, map.shape);
            // The batch's map equals the image's own: batching by size changes nothing but speed.
            using var scope = TorchSharp.torch.NewDisposeScope();
            using var alone = cam.Explain(ImageLoader.Load(row.Input, ImagePreprocessing.None), 2);
            Assert.True(TestTensors.MaxAbsDiff(alone.Maps[0], map) < 1e-4f);
        }
        Assert.Throws<IOException>(() => run.Run(inputs, ShardSpec.All, resume: false));
    }
    [Fact]
    public void AFailedWriteStopsTheRunWithItsErrorAndLeavesNoTensorsAndNoRowForTheImage()
    {
        using var dir = new TempDir();
        var inputs = ImageSetInput.Resolve(TestImages.RandomPngs(dir.File("images"), 6));
        using var model = ModelZoo.Create("scenenet");
        model.eval();
        using var cam = new GradCam(model, "block4");
        string outDir = dir.File("out");
        // A folder where the fourth image's map should go: the output stage cannot rename its file there.
        Directory.CreateDirectory(Path.Combine(outDir, ImageSetRun.OutputStem(inputs[3]) + ".npy"));
        var options = new ImageSetOptions { ImagesPerBatch = 2, Decoders = 1, WriteOverlay = false, Model = "scenenet" };
        var run = new ImageSetRun(cam, ImagePreprocessing.None, TorchSharp.torch.CPU, outDir, options);

        long live = TestTensors.LiveTensors;
        Assert.ThrowsAny<IOException>(() => run.Run(inputs, ShardSpec.All, resume: false));
        Assert.Equal(live, TestTensors.LiveTensors);
        var rows = Manifest.Read(Path.Combine(outDir, "manifest.jsonl"));
        Assert.DoesNotContain(inputs[3], rows.Select(r => r.Input));
        Assert.All(rows, r => Assert.Null(r.Error));
    }
}
