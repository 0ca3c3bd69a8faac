using System.Diagnostics;
using System.Globalization;
using DecomCamNet.Cam;
using DecomCamNet.Models;
using static TorchSharp.torch;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// <c>floor MODEL METHOD [REPEAT] [THREADS]</c> (defaults 10, 2): the forwards (and backward) a method cannot avoid,
/// timed alone on a ResNet from the zoo (random weights: the time does not depend on them), one 224x224 image, layer4,
/// class 238, and printed as <c>median_seconds=</c> like <c>explain --repeat</c>, so that <c>compare-anchors.sh</c> can
/// put each method's floor beside its time in the same run.
/// <list type="bullet">
/// <item><c>gradcam</c>: one forward with autograd and the backward from the class score to layer4 (no hooks).</item>
/// <item><c>decomcam</c>: the Grad-CAM floor plus one forward (no gradients) of the Q = 10 blended images in one batch, in
/// the faster of the two layouts (the official integration's work after its Grad-CAM pass).</item>
/// <item><c>scorecam</c>: one forward plus K forwards of masked images (K = layer4's channels), each at the fastest
/// per-image cost among batch sizes 8-64 and both layouts, timed on 96 images per setting and scaled to K.</item>
/// </list>
/// Each part's median over REPEAT rounds after a warm-up; the floor is their sum.
/// </summary>
internal static class ForwardFloor
{
    private const int Blends = 10, ProbeImages = 96, Size = 224, ClassIndex = 238;
    private static readonly int[] BatchSizes = { 8, 16, 32, 64 };

    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: floor MODEL gradcam|decomcam|scorecam [REPEAT] [THREADS]");
            return 2;
        }
        string modelName = args[0], method = args[1];
        int repeat = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
        set_num_threads(args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 2);
        manual_seed(0);
        using var model = ModelZoo.Create(modelName);
        model.eval();
        using var input = randn(1, 3, Size, Size);
        var trunk = new ResNetTrunk(model, ClassIndex);
        double gradCam = Median(repeat, () => trunk.ActivationAndGradient(input));
        double seconds;
        switch (method)
        {
            case "gradcam":
                seconds = gradCam;
                break;
            case "decomcam":
                using (var blends = randn(Blends, 3, Size, Size))
                    seconds = gradCam + Layouts().Min(channelsLast => Median(repeat, () => Forward(model, blends, channelsLast)));
                Console.WriteLine(Invariant($"parts: grad-cam {gradCam:F4} s, forward of {Blends} blends {seconds - gradCam:F4} s"));
                break;
            case "scorecam":
                long channels;
                using (var scope = NewDisposeScope()) channels = trunk.ActivationAndGradient(input).Activation.shape[1];
                double forward = Median(repeat, () => Forward(model, input, false));
                var best = BatchSizes.SelectMany(b => Layouts().Select(l => (Batch: b, ChannelsLast: l, PerImage: PerImage(model, b, l, repeat))))
                    .MinBy(c => c.PerImage);
                seconds = forward + channels * best.PerImage;
                Console.WriteLine(Invariant($"parts: forward {forward:F4} s, {channels} masked forwards at {best.PerImage * 1e3:F2} ms/image (batch {best.Batch}, {(best.ChannelsLast ? "channels-last" : "contiguous")})"));
                break;
            default:
                Console.Error.WriteLine($"unknown method '{method}' (gradcam, decomcam, scorecam)");
                return 2;
        }
        Console.WriteLine(Invariant($"median_seconds={seconds:F6}"));
        return 0;
    }

    private static IEnumerable<bool> Layouts() =>
        MaskedForwards.ChannelsLastSafe(CPU) ? new[] { false, true } : new[] { false };

    private static double PerImage(nn.Module<Tensor, Tensor> model, int batch, bool channelsLast, int repeat)
    {
        int batches = (ProbeImages + batch - 1) / batch;
        using var images = randn(batch, 3, Size, Size);
        return Median(Math.Max(1, repeat / 5), () =>
        {
            for (int i = 0; i < batches; i++) Forward(model, images, channelsLast).Dispose();
        }) / (batches * batch);
    }

    private static Tensor Forward(nn.Module<Tensor, Tensor> model, Tensor batch, bool channelsLast)
    {
        using var mode = no_grad();
        using var scope = NewDisposeScope();
        return model.call(channelsLast ? MaskedForwards.ToChannelsLast(batch) : batch).MoveToOuterDisposeScope();
    }

    /// <summary>The median wall time of <paramref name="rounds"/> runs of <paramref name="work"/> after one warm-up, each in its own dispose scope.</summary>
    private static double Median(int rounds, Action work)
    {
        var times = new List<double>();
        for (int round = -1; round < rounds; round++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            work();
            if (round >= 0) times.Add(clock.Elapsed.TotalSeconds);
        }
        return Medians.Of(times);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
