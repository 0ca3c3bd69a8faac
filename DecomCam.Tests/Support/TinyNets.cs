using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Support;

/// <summary>conv → ReLU → global average pool → linear: Grad-CAM on <c>features</c> equals the classic CAM.</summary>
internal sealed class ConvGapLinear : nn.Module<Tensor, Tensor>
{
    public readonly Sequential features;
    public readonly AdaptiveAvgPool2d gap;
    public readonly Linear fc;

    public ConvGapLinear(int channels = 8, int classes = 5, long seed = 1) : base(nameof(ConvGapLinear))
    {
        manual_seed(seed);
        features = nn.Sequential(("conv", nn.Conv2d(3, channels, 3, padding: 1)), ("relu", nn.ReLU()));
        gap = nn.AdaptiveAvgPool2d(1);
        fc = nn.Linear(channels, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc.call(gap.call(features.call(x)).flatten(1));
}

/// <summary>A model that calls its child's forward() directly, so hooks on the child never fire.</summary>
internal sealed class ForwardBypassNet : nn.Module<Tensor, Tensor>
{
    public readonly Conv2d conv;
    public readonly Linear fc;

    public ForwardBypassNet() : base(nameof(ForwardBypassNet))
    {
        conv = nn.Conv2d(3, 4, 3, padding: 1);
        fc = nn.Linear(4, 3);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc.call(conv.forward(x).mean(new long[] { 2, 3 }));
}

/// <summary>A model whose output is detached from the input, so no gradient reaches its layers.</summary>
internal sealed class DetachingNet : nn.Module<Tensor, Tensor>
{
    public readonly Conv2d conv;
    public readonly Linear fc;

    public DetachingNet() : base(nameof(DetachingNet))
    {
        conv = nn.Conv2d(3, 4, 3, padding: 1);
        fc = nn.Linear(4, 3);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc.call(conv.call(x).detach().mean(new long[] { 2, 3 }));
}

internal static class TestTensors
{
    /// <summary>A seeded random batch [n,3,h,w].</summary>
    public static Tensor Batch(long n, long h, long w, long seed = 7)
    {
        manual_seed(seed);
        return randn(n, 3, h, w);
    }

    /// <summary>The number of forward hooks on a module, read through reflection (TorchSharp keeps them in a protected dictionary).</summary>
    public static int ForwardHookCount(nn.Module module)
    {
        for (var t = module.GetType(); t is not null; t = t.BaseType)
        {
            var field = t.GetField("post_hooks", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic);
            if (field?.GetValue(module) is System.Collections.ICollection hooks) return hooks.Count;
        }
        throw new InvalidOperationException("TorchSharp's hook dictionary was not found.");
    }

    /// <summary>The forward hooks on a model and all its submodules.</summary>
    public static int ForwardHookCountInModel(nn.Module model) =>
        ForwardHookCount(model) + model.named_modules().Sum(m => ForwardHookCount(m.module));

    public static long LiveTensors => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    /// <summary>
    /// Tensors alive in the whole process, on every thread (TorchSharp's <c>Tensor.TotalCount</c>), after finalising what
    /// earlier work left unreachable. Only meaningful in a test of <see cref="ProcessTensorsCollection"/>: any test running
    /// beside it moves the count.
    /// </summary>
    public static long ProcessLiveTensorsAfterCollection()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.TotalCount;
    }

    public static float MaxAbsDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();
}
