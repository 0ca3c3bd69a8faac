using System.Diagnostics;
using DecomCamNet.Batches;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Imaging;
using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Batches;

/// <summary>
/// The run spreads its work over the test's thread (the model), decoder threads and an output thread. The tensor counts
/// here are process-wide (<see cref="TestTensors.ProcessLiveTensorsAfterCollection"/>), so a tensor left by any of those
/// threads shows: earlier garbage is finalised before the count is taken, and the count after the run is taken without a
/// collection, so a leaked tensor counts unless a collection during the run happened to finalise it.
/// </summary>
[Collection(ProcessTensorsCollection.Name)]
public sealed class ImageSetRunTests
{
    [Fact]
    public void BatchesGroupImagesBySizeThroughABoundedQueueAndLeaveNoTensorsOnAnyThread()
    {
        using var dir = new TempDir();
        var inputs = ImageSetInput.Resolve(TestImages.RandomPngs(dir.File("images"), 7)); // 48 and 64 px, alternating
        using var model = ModelZoo.Create("scenenet");
        model.eval();
        using var cam = new GradCam(model, "block4");
        var options = new ImageSetOptions { ImagesPerBatch = 3, QueueCapacity = 1, Decoders = 2, WriteOverlay = true, Target = 2, Model = "scenenet" };
        var run = new ImageSetRun(cam, ImagePreprocessing.None, TorchSharp.torch.CPU, dir.File("out"), options);

        long live = TestTensors.ProcessLiveTensorsAfterCollection();
        var clock = Stopwatch.StartNew();
        var summary = run.Run(inputs, ShardSpec.All, resume: false);
        double wall = clock.Elapsed.TotalSeconds;
        Assert.Equal(live, TorchSharp.torch.Tensor.TotalCount);

        Assert.Equal((7, 0, 0), (summary.Explained, summary.Failed, summary.Skipped));
        // The three clocks time disjoint stretches of the model thread inside Run: together at most the test's own clock.
        Assert.InRange(summary.ThreadSeconds, 0, wall);
        Assert.True(summary.ModelSeconds > 0);
        Assert.InRange(summary.StartupWaitSeconds, 0, summary.WaitSeconds);
        Assert.InRange(summary.WaitShare + summary.WriterWaitShare, 0, 1);
        Assert.InRange(summary.SteadyWaitShare, 0, summary.WaitShare);
        var rows = Manifest.Read(dir.File("out/manifest.jsonl"));
        Assert.Equal(inputs, rows.Select(r => r.Input).Order(StringComparer.Ordinal));
        foreach (var row in rows)
        {
            Assert.Equal((2L, "class 2", "gradcam", "block4"), (row.Class, row.Target, row.Method, row.Layer));
            Assert.Equal(2, row.Outputs.Count);
            using var map = NpyFile.Read(Path.Combine(dir.File("out"), row.Outputs[0]));
            int size = inputs.ToList().IndexOf(row.Input) % 2 == 0 ? 48 : 64;
            Assert.Equal(new long[] { size, size }, map.shape);
            // The batch's map equals the image's own: batching by size changes nothing but speed.
            using var scope = TorchSharp.torch.NewDisposeScope();
            using var alone = cam.Explain(ImageLoader.Load(row.Input, ImagePreprocessing.None), 2);
            Assert.True(TestTensors.MaxAbsDiff(alone.Maps[0], map) < 1e-4f);
            // The overlay, written from the host array on the output thread, is the tensor API's overlay of the written map,
            // captioned with the target and its score.
            using var picture = ImageLoader.LoadRgb(row.Input, ImagePreprocessing.None);
            using var expected = CamImageWriter.CreateOverlay(picture, map, options.Alpha, FormattableString.Invariant($"class 2, score {row.Score:F4}"));
            using var written = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(Path.Combine(dir.File("out"), row.Outputs[1]));
            Assert.Equal(ImagingTestSupport.Pixels(expected), ImagingTestSupport.Pixels(written));
        }
        Assert.Throws<IOException>(() => run.Run(inputs, ShardSpec.All, resume: false));
    }

    [Fact]
    public void ASlowWriterShowsInTheWriterShareAndItsThreadHoldsNoTensors()
    {
        using var dir = new TempDir();
        var inputs = ImageSetInput.Resolve(TestImages.RandomPngs(dir.File("images"), 8, size: 48));
        using var model = ModelZoo.Create("scenenet");
        model.eval();
        using var cam = new GradCam(model, "block4");
        // One image a batch: the output queue holds two, so the model posts image k only once the writer has finished image k - 3.
        var options = new ImageSetOptions { ImagesPerBatch = 1, Decoders = 1, WriteOverlay = false, Model = "scenenet" };
        var run = new ImageSetRun(cam, ImagePreprocessing.None, TorchSharp.torch.CPU, dir.File("out"), options);
        var writer = new SlowWriterProgress(TimeSpan.FromMilliseconds(250));

        long live = TestTensors.ProcessLiveTensorsAfterCollection();
        var clock = Stopwatch.StartNew();
        var summary = run.Run(inputs, ShardSpec.All, resume: false, writer);
        double wall = clock.Elapsed.TotalSeconds;
        Assert.Equal(live, TorchSharp.torch.Tensor.TotalCount);

        Assert.Equal(8, summary.Explained);
        Assert.Equal(8, writer.LiveTensorsOnItsThread.Count);
        Assert.All(writer.LiveTensorsOnItsThread, n => Assert.Equal(0, n)); // the output thread makes no tensors at all
        Assert.DoesNotContain(Environment.CurrentManagedThreadId, writer.Threads);
        // Posting image 8 waits for the writer to finish image 5: at least 5 x 250 ms after the first image reached it,
        // which the model thread spends explaining, waiting for input, or waiting for the writer.
        double writerBound = 5 * 0.25 - summary.ModelSeconds - (summary.WaitSeconds - summary.StartupWaitSeconds);
        Assert.True(summary.WriterWaitSeconds >= writerBound - 0.05, $"writer wait {summary.WriterWaitSeconds:F3} s, bound {writerBound:F3} s");
        Assert.InRange(summary.ThreadSeconds, 0, wall);
        Assert.InRange(summary.WriterWaitShare, summary.WriterWaitSeconds / wall, 1);
        Assert.True(summary.WriterWaitShare > summary.SteadyWaitShare, $"writer {summary.WriterWaitShare:F3}, input {summary.SteadyWaitShare:F3}");
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

        long live = TestTensors.ProcessLiveTensorsAfterCollection();
        Assert.ThrowsAny<IOException>(() => run.Run(inputs, ShardSpec.All, resume: false));
        Assert.Equal(live, TorchSharp.torch.Tensor.TotalCount);
        var rows = Manifest.Read(Path.Combine(outDir, "manifest.jsonl"));
        Assert.DoesNotContain(inputs[3], rows.Select(r => r.Input));
        Assert.All(rows, r => Assert.Null(r.Error));
    }

    [Fact]
    public void RefineCamRowsCarryTheLayersOfItsBaseMethods()
    {
        using var dir = new TempDir();
        var inputs = ImageSetInput.Resolve(TestImages.RandomPngs(dir.File("images"), 2, size: 48));
        using var model = ModelZoo.Create("scenenet");
        model.eval();
        using var cam = CamMethods.Create("refinecam", model, new CamLayer[] { "block3", "block4" });
        Assert.Equal(new[] { "block3", "block4" }, cam.LayerNames);
        var options = new ImageSetOptions { ImagesPerBatch = 2, Decoders = 1, WriteOverlay = false, Target = 1, Model = "scenenet" };
        var run = new ImageSetRun(cam, ImagePreprocessing.None, TorchSharp.torch.CPU, dir.File("out"), options);
        Assert.Equal("block3+block4", run.Settings["layers"]);

        var summary = run.Run(inputs, ShardSpec.All, resume: false);

        Assert.Equal((2, 0, 0), (summary.Explained, summary.Failed, summary.Skipped));
        var rows = Manifest.Read(dir.File("out/manifest.jsonl"));
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(("refinecam", "block3+block4"), (r.Method, r.Layer)));
    }

    /// <summary>Told on the output thread after each row: sleeps there (a slow disk) and notes that thread's live tensors.</summary>
    private sealed class SlowWriterProgress(TimeSpan delay) : IProgress<CamProgress>
    {
        public List<long> LiveTensorsOnItsThread { get; } = [];

        public HashSet<int> Threads { get; } = [];

        public void Report(CamProgress value)
        {
            LiveTensorsOnItsThread.Add(TestTensors.LiveTensors);
            Threads.Add(Environment.CurrentManagedThreadId);
            Thread.Sleep(delay);
        }
    }
}
