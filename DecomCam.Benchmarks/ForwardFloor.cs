using System.Diagnostics;
using System.Globalization;
using DecomCamNet.Cam;
using DecomCamNet.Models;
using static TorchSharp.torch;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// <c>floor MODEL METHOD [REPEAT] [THREADS]</c> (defaults 10, 2): the forwards (and backward) a method cannot avoid,
/// timed alone on a ResNet from the zoo (random weights: the time does not depend on them), one 224x224 image, layer4,
/// class 238, and the method's own call timed in the same process, so that <c>compare-anchors.sh</c> can put each
/// method's floor and its distance from it beside the anchor ratio. Prints <c>median_seconds=</c> (the floor, as
/// <c>explain --repeat</c> prints its time), <c>call_seconds=</c> and <c>call_over_floor=</c>.
/// <list type="bullet">
/// <item><c>gradcam</c>: one forward with autograd and the backward from the class score to layer4 (no hooks).</item>
/// <item><c>decomcam</c> (the official integration): the Grad-CAM floor plus the forwards (no gradients) of the Q = 10
/// blended images in the fastest of the splits the masked-forward tuning tries (one batch of 10, 5 + 5, 4 + 4 + 2) and
/// the two layouts.</item>
/// <item><c>scorecam</c> (our defaults): one forward plus K forwards of masked images (K = layer4's channels), each at the
/// fastest per-image cost among batch sizes 8-64 and both layouts, timed on 96 images per setting and scaled to K.</item>
/// </list>
/// The method is called until its masked forwards have settled (DecomCAM tunes across its first calls) before any timing;
/// Grad-CAM's and DecomCAM's rounds interleave the floor's parts with the call, so a busy machine slows them alike; each
/// is the median over REPEAT rounds after a warm-up, and the floor is the sum of its parts' medians. Score-CAM's calls
/// follow its floor (a warm-up call first, which tunes the masked forwards).
/// </summary>
internal static class ForwardFloor
{
    private const int Blends = 10, ProbeImages = 96, Size = 224, ClassIndex = 238;
    private static readonly int[] BatchSizes = { 8, 16, 32, 64 };

    public static int Run(string[] args)
    {
        if (args.Length < 2 || args[1] is not ("gradcam" or "decomcam" or "scorecam"))
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
        CamTarget target = ClassIndex;
        var settings = method == "decomcam" ? new CamMethodSettings { DecomCam = new DecomCamOptions(Integration: DecomIntegration.Official) } : new CamMethodSettings();
        using var call = CamMethods.Create(method, model, new CamLayer[] { "layer4" }, settings);
        var trunk = new ResNetTrunk(model, ClassIndex);
        using var blends = randn(Blends, 3, Size, Size);

        var parts = new List<(string Name, Action Work)> { ("grad-cam", () => trunk.ActivationAndGradient(input)) };
        if (method == "decomcam")
            parts.AddRange(Layouts().SelectMany(channelsLast => BlendBatches().Select(batch =>
                ($"forward of {Blends} blends in batches of {batch}{(channelsLast ? ", channels-last" : "")}",
                (Action)(() => ForwardInBatches(model, blends, batch, channelsLast))))));
        if (method == "scorecam") parts = new() { ("forward", () => Forward(model, input, false)) };
        if (method != "scorecam") parts.Add(("call", () => call.Explain(input, target).Dispose()));
        for (int i = 0; i < 32 && (i == 0 || MaskedForwardTuner.Shared.TuningAcrossCalls(model)); i++)
            call.Explain(input, target).Dispose(); // the tuning calls (DecomCAM's tune across calls), as explain --repeat warms up
        var medians = Interleaved(parts, repeat);
        double callSeconds, seconds;
        if (method == "scorecam")
        {
            long channels;
            using (var scope = NewDisposeScope()) channels = trunk.ActivationAndGradient(input).Activation.shape[1];
            var best = BatchSizes.SelectMany(b => Layouts().Select(l => (Batch: b, ChannelsLast: l, PerImage: PerImage(model, b, l, repeat))))
                .MinBy(c => c.PerImage);
            seconds = medians["forward"] + channels * best.PerImage;
            callSeconds = Interleaved(new() { ("call", () => call.Explain(input, target).Dispose()) }, repeat)["call"];
            Console.WriteLine(Invariant($"parts: forward {medians["forward"]:F4} s, {channels} masked forwards at {best.PerImage * 1e3:F2} ms/image (batch {best.Batch}, {(best.ChannelsLast ? "channels-last" : "contiguous")})"));
        }
        else
        {
            seconds = medians["grad-cam"] + (method == "decomcam" ? medians.Where(p => p.Key.StartsWith("forward of", StringComparison.Ordinal)).Min(p => p.Value) : 0);
            callSeconds = medians["call"];
            Console.WriteLine("parts: " + string.Join(", ", medians.Select(p => Invariant($"{p.Key} {p.Value:F4} s"))));
        }
        Console.WriteLine(Invariant($"median_seconds={seconds:F6}"));
        Console.WriteLine(Invariant($"call_seconds={callSeconds:F6}"));
        Console.WriteLine(Invariant($"call_over_floor={callSeconds / seconds:F3}"));
        return 0;
    }

    private static IEnumerable<bool> Layouts() =>
        MaskedForwards.ChannelsLastSafe(CPU) ? new[] { false, true } : new[] { false };

    /// <summary>The batch sizes that split the Q blends differently, as the masked-forward tuning tries them (10, 5, 4).</summary>
    private static IEnumerable<int> BlendBatches() => MaskedForwardTuner.CandidateBatchSizes.Append(Blends)
        .Select(size => MaskedForwards.Balanced(Blends, size)).Distinct().OrderDescending();

    private static void ForwardInBatches(nn.Module<Tensor, Tensor> model, Tensor images, int batch, bool channelsLast)
    {
        for (long start = 0; start < images.shape[0]; start += batch)
            Forward(model, images.narrow(0, start, Math.Min(batch, images.shape[0] - start)), channelsLast).Dispose();
    }

    private static double PerImage(nn.Module<Tensor, Tensor> model, int batch, bool channelsLast, int repeat)
    {
        int batches = (ProbeImages + batch - 1) / batch;
        using var images = randn(batch, 3, Size, Size);
        return Interleaved(new() { ("probe", () =>
        {
            for (int i = 0; i < batches; i++) Forward(model, images, channelsLast).Dispose();
        }) }, Math.Max(1, repeat / 5))["probe"] / (batches * batch);
    }

    private static Tensor Forward(nn.Module<Tensor, Tensor> model, Tensor batch, bool channelsLast)
    {
        using var mode = no_grad();
        using var scope = NewDisposeScope();
        return model.call(channelsLast ? MaskedForwards.ToChannelsLast(batch) : batch).MoveToOuterDisposeScope();
    }

    /// <summary>Each part's median wall time over <paramref name="rounds"/> rounds after one warm-up round; a round runs every part once, in turn, each in its own dispose scope.</summary>
    private static Dictionary<string, double> Interleaved(List<(string Name, Action Work)> parts, int rounds)
    {
        var times = parts.ToDictionary(p => p.Name, _ => new List<double>());
        for (int round = -1; round < rounds; round++)
            foreach (var (name, work) in parts)
            {
                using var scope = NewDisposeScope();
                var clock = Stopwatch.StartNew();
                work();
                if (round >= 0) times[name].Add(clock.Elapsed.TotalSeconds);
            }
        return times.ToDictionary(t => t.Key, t => Medians.Of(t.Value));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
