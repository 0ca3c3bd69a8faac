using DecomCamNet.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Evaluation;

/// <summary>conv 3→6 (3×3, pad 1) → ReLU → spatial mean → linear 6→5 with detinit weights: reference/evaluation_metrics_reference.py's MetricNet.</summary>
internal sealed class MetricNet : nn.Module<Tensor, Tensor>
{
    public readonly Conv2d conv;
    public readonly Linear fc;

    public MetricNet() : base(nameof(MetricNet))
    {
        conv = nn.Conv2d(3, 6, 3, padding: 1);
        fc = nn.Linear(6, 5);
        RegisterComponents();
        DeterministicInit.FillModule(this);
    }

    public override Tensor forward(Tensor x) => fc.call(nn.functional.relu(conv.call(x)).mean(new long[] { 2, 3 }));
}

/// <summary>
/// Two classes; class 0's logit is <c>gain·(m − 0.5)</c> with m the mean of channel 0 over a rectangle (the "object"),
/// class 1's is 0: with the object at 1 the model is sure of class 0, with it gone sure of class 1.
/// </summary>
internal sealed class RegionMeanNet(long top, long left, long height, long width, double gain = 40) : nn.Module<Tensor, Tensor>(nameof(RegionMeanNet))
{
    public override Tensor forward(Tensor x)
    {
        var m = x.select(1, 0).narrow(1, top, height).narrow(2, left, width).mean(new long[] { 1, 2 });
        return stack(new[] { (m - 0.5) * gain, zeros_like(m) }, 1);
    }
}

/// <summary>
/// Two classes whose softmax is (m, 1 − m) up to 10⁻⁶, m = the mean of channel 0 clamped to [0,1]: on an image of ones the
/// probability of class 0 is the fraction of pixels still intact.
/// </summary>
internal sealed class IntactFractionNet() : nn.Module<Tensor, Tensor>(nameof(IntactFractionNet))
{
    public override Tensor forward(Tensor x)
    {
        var m = x.select(1, 0).mean(new long[] { 1, 2 }).clamp(0, 1);
        return stack(new[] { (m + 1e-6).log(), (1 - m + 1e-6).log() }, 1);
    }
}
