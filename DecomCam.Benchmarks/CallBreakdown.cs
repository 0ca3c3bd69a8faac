using System.Diagnostics;
using System.Globalization;
using DecomCamNet.Cam;
using DecomCamNet.Models;
using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// <c>breakdown [CALLS] [MODEL] [THREADS]</c> (defaults 30, <c>resnet18</c>, 2): where one Grad-CAM call and one Eigen-CAM
/// call spend their time on a ResNet with random weights (seed 0), one 224x224 image, layer4, class 238. Each round times,
/// one after the other, the model's plain forward (no hooks, no gradients), the floor of Grad-CAM (forward with autograd
/// and the backward from the score to layer4's output, computed by running the ResNet's children in turn, so no hook is
/// involved), the full method calls, and each of the template's other steps on its own (input check, model-state guard,
/// oneDNN route check, the recording hook, output check, target scoring, gradient checks, the method's weights, ReLU,
/// min-max and resize). The table gives each line's median over the rounds and its share of the Grad-CAM call;
/// "bookkeeping" is what the call takes beyond the floor and the timed steps. Rounds interleave the lines, so a busy
/// machine slows them alike.
/// </summary>
internal static class CallBreakdown
{
    private const int Warmups = 3;

    public static void Run(string[] args)
    {
        int calls = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;
        string modelName = args.Length > 1 ? args[1] : "resnet18";
        int threads = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2;
        set_num_threads(threads);
        manual_seed(0);
        using var model = ModelZoo.Create(modelName);
        model.eval();
        using var input = randn(1, 3, 224, 224);
        CamTarget target = 238;
        using var gradCam = CamMethods.Create("gradcam", model, new CamLayer[] { "layer4" });
        using var eigenCam = CamMethods.Create("eigencam", model, new CamLayer[] { "layer4" });
        using var decomCam = CamMethods.Create("decomcam", model, new CamLayer[] { "layer4" },
            new CamMethodSettings { DecomCam = new DecomCamOptions(Integration: DecomIntegration.Official) });
        using var blends = randn(10, 3, 224, 224);
        var trunk = new ResNetTrunk(model, 238);

        // Fixed tensors the step timings work on: one call's output, layer4's activation and gradient.
        using var fixedScope = NewDisposeScope();
        var output = Forward(model, input);
        var (activation, gradient) = trunk.ActivationAndGradient(input);
        var raw = LayerMap.Weighted(gradient.mean(new long[] { 2, 3 }), activation).WeightedChannels!.sum(1);

        var lines = new (string Name, string Kind, Action Work)[]
        {
            ("forward (no hooks, no_grad)", "floor", () => Forward(model, input)),
            ("forward + backward to layer4 (no hooks)", "floor", () => trunk.ActivationAndGradient(input)),
            ("Grad-CAM call", "call", () => gradCam.Explain(input, target).Dispose()),
            ("Eigen-CAM call", "call", () => eigenCam.Explain(input, target).Dispose()),
            ("DecomCAM call (official integration)", "call", () => decomCam.Explain(input, target).Dispose()),
            ("forward of 10 images (no hooks, no_grad): DecomCAM's Q blends", "floor", () => Forward(model, blends)),
            ("the same, channels-last", "floor", () => Forward(model, MaskedForwards.ToChannelsLast(blends))),
            ("input check (CamInputValidator)", "gradcam step", () => CamInputValidator.Validate(input, model)),
            ("model state guard + eval()", "gradcam step", () => { using (ModelState.Capture(model)) model.eval(); }),
            ("oneDNN route check", "gradcam step", () => LibTorchBackends.NeedsOneDnnOff(model)),
            ("oneDNN route check where a CPU reports no cache sizes (not part of this call here)", "other", () =>
            {
                LibTorchBackends.AssumeCpuCachesUnknown = true;
                try { LibTorchBackends.NeedsOneDnnOff(model); }
                finally { LibTorchBackends.AssumeCpuCachesUnknown = false; }
            }),
            ("recording hook (layer4 output kept)", "gradcam step", () => activation.contiguous()),
            ("output check (finite)", "gradcam step", () => ValueRange.AllFinite(output)),
            ("target scoring", "gradcam step", () => target.Score(output, target.Expand(1))),
            ("gradient checks (finite, not all zero)", "gradcam step", () => _ = ValueRange.AllFinite(gradient) && ValueRange.ZeroRows(gradient).Length == 0),
            ("Grad-CAM weights + channel sum", "gradcam step", () => LayerMap.Weighted(gradient.mean(new long[] { 2, 3 }), activation).WeightedChannels!.sum(1)),
            ("Eigen-CAM first component (SVD)", "eigencam step", () => Pca.FirstComponentMaps(activation)),
            ("ReLU, min-max, resize to 224", "gradcam step", () => CamKernels.Resize(CamKernels.ReluNormalize(raw), 224, 224)),
        };
        var times = lines.Select(_ => new List<double>()).ToArray();
        for (int round = -Warmups; round < calls; round++)
            for (int i = 0; i < lines.Length; i++)
            {
                using var scope = NewDisposeScope();
                var clock = Stopwatch.StartNew();
                lines[i].Work();
                double ms = clock.Elapsed.TotalMilliseconds;
                if (round >= 0) times[i].Add(ms);
            }
        var median = times.Select(Medians.Of).ToArray();
        double Of(string name) => median[Array.FindIndex(lines, l => l.Name == name)];
        double gradCamMs = Of("Grad-CAM call"), floor = Of("forward + backward to layer4 (no hooks)");
        double bookkeeping = gradCamMs - floor - Enumerable.Range(0, lines.Length).Where(i => lines[i].Kind == "gradcam step").Sum(i => median[i]);

        Console.WriteLine($"{modelName}, 1x3x224x224, layer4, class 238; {threads} torch threads, {Environment.ProcessorCount} cores; " +
            $"median of {calls} rounds after {Warmups} warm-ups; CPU caches {(LibTorchBackends.CpuCachesUnknown ? "unknown" : "reported")}; " +
            $"ATEN_CPU_CAPABILITY={Environment.GetEnvironmentVariable("ATEN_CPU_CAPABILITY") ?? "(unset)"}, " +
            $"ONEDNN_MAX_CPU_ISA={Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? "(unset)"}");
        Console.WriteLine("| line | median (ms) | share of the Grad-CAM call |");
        Console.WriteLine("|---|---:|---:|");
        for (int i = 0; i < lines.Length; i++)
            Console.WriteLine(Row(lines[i].Name, median[i], gradCamMs));
        Console.WriteLine(Row("bookkeeping (Grad-CAM call - floor - steps above)", bookkeeping, gradCamMs));
        Console.WriteLine(Row("**Grad-CAM beyond forward + backward**", gradCamMs - floor, gradCamMs));
        Console.WriteLine(Row("**Eigen-CAM beyond the plain forward** (share of the Eigen-CAM call)",
            Of("Eigen-CAM call") - Of("forward (no hooks, no_grad)"), Of("Eigen-CAM call")));
        double decomCamMs = Of("DecomCAM call (official integration)");
        Console.WriteLine(Row("**DecomCAM beyond its floor** (forward + backward, forward of 10; share of the DecomCAM call)",
            decomCamMs - floor - Math.Min(Of("forward of 10 images (no hooks, no_grad): DecomCAM's Q blends"), Of("the same, channels-last")),
            decomCamMs));
    }

    private static Tensor Forward(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        using var mode = no_grad();
        return model.call(input);
    }

    private static string Row(string name, double ms, double of) =>
        string.Create(CultureInfo.InvariantCulture, $"| {name} | {ms:F2} | {100 * ms / of:F1}% |");
}
