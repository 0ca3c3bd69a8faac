using DecomCamNet.Native;
using DecomCamNet.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>
/// A user's model whose layer has no double backward (libtorch's CPU <c>scaled_dot_product_attention</c>): TorchSharp's
/// <c>autograd.grad</c> through it aborts the process, so ShapleyCAM must find that out through <see cref="CaughtGradient"/>
/// and take H·A by finite differences.
/// </summary>
public sealed class ShapleyCamWithoutDoubleBackwardTests
{
    [Fact]
    public void TheFusedAttentionHasNoDoubleBackwardAndTheErrorIsCaught()
    {
        using var scope = NewDisposeScope();
        var model = new AttentionNet(fused: true);
        var x = TestTensors.Batch(1, 8, 8).requires_grad_(true);
        using var grad = enable_grad();
        var a = model.conv.call(x);
        var g = autograd.grad(new[] { model.Head(a)[0, 1] }, new[] { a }, retain_graph: true, create_graph: true)[0];
        Assert.Null(CaughtGradient.TryTake(g.mul(a.detach()).sum(), a, out var error));
        Assert.Contains("_scaled_dot_product_flash_attention_for_cpu_backward is not implemented", error);
        // The process goes on, and a first-order gradient through the same layer is the one autograd.grad gives.
        var again = model.conv.call(x);
        var expected = autograd.grad(new[] { model.Head(again)[0, 1] }, new[] { again }, retain_graph: true)[0];
        var caught = CaughtGradient.TryTake(model.Head(again)[0, 1], again, out error);
        Assert.Null(error);
        Assert.Equal(0f, TestTensors.MaxAbsDiff(expected, caught!));
        // A leaf's own gradient is left as it was.
        x.grad = ones_like(x);
        var expectedInput = autograd.grad(new[] { model.call(x)[0, 1] }, new[] { x })[0];
        Assert.Equal(0f, TestTensors.MaxAbsDiff(expectedInput, CaughtGradient.TryTake(model.call(x)[0, 1], x, out error)!));
        Assert.Equal(0f, TestTensors.MaxAbsDiff(ones_like(x), x.grad!));
    }

    [Fact]
    public void ShapleyCamFallsBackToFiniteDifferencesThatAgreeWithTheExactHessian()
    {
        using var scope = NewDisposeScope();
        var x = TestTensors.Batch(2, 8, 8);
        var targets = new[] { 1, 3 };
        var fusedLog = new ListLogger();
        var fused = new AttentionNet(fused: true);
        using var fallback = new ShapleyCam(fused, "conv", fusedLog);
        using var rf = fallback.Explain(x, targets);
        using var rf2 = fallback.Explain(x, targets);
        var told = Assert.Single(fusedLog.Messages, m => m.StartsWith("ShapleyCAM")); // once per instance
        Assert.Contains("no double backward between layer 'conv'", told);
        Assert.Contains("_scaled_dot_product_flash_attention_for_cpu_backward is not implemented", told);

        // The same weights with the attention written out (matmul, softmax, matmul): every step has a double backward.
        var byHandLog = new ListLogger();
        var byHand = new AttentionNet(fused: false);
        byHand.load_state_dict(fused.state_dict()); // the seed alone is not enough: tests beside this one draw from the global generator
        using var exact = new ShapleyCam(byHand, "conv", byHandLog);
        using var re = exact.Explain(x, targets);
        Assert.DoesNotContain(byHandLog.Messages, m => m.StartsWith("ShapleyCAM"));
        using var gradCam = new GradCam(byHand, "conv");
        using var rg = gradCam.Explain(x, targets);

        Tensor W(CamResult r) => r.Intermediate("weights");
        float scale = W(re).abs().max().item<float>();
        float hessianTerm = TestTensors.MaxAbsDiff(W(re), GradWeights(byHand, x, targets));
        float fallbackError = TestTensors.MaxAbsDiff(W(re), W(rf));
        // Measured: weights up to 3.4e-3, the Hessian term 1.1e-4 (3%; Grad-CAM's map is 0.04 away), finite differences
        // 2.6e-9 from the exact weights and the maps 1.1e-6 apart. Float32 rounding of G (1e-6 of it across CPUs and
        // threads, 3e-9) divided by 2ε is 2e-7: the bounds leave a wide margin on any CPU and still fail Grad-CAM's weights.
        Assert.True(hessianTerm > 0.01f * scale, $"the Hessian term ({hessianTerm}) is too small to test against");
        Assert.True(fallbackError < 0.01f * hessianTerm, $"finite differences are {fallbackError} from the exact weights");
        Assert.Equal(0f, TestTensors.MaxAbsDiff(W(rf), W(rf2)));  // the same route on every call
        Assert.True(TestTensors.MaxAbsDiff(re.Maps, rf.Maps) < 1e-4f);
        Assert.True(TestTensors.MaxAbsDiff(rg.Maps, rf.Maps) > 1e-2f);
    }

    /// <summary>Grad-CAM's weights: the spatial mean of the gradient at the conv output.</summary>
    private static Tensor GradWeights(AttentionNet model, Tensor x, int[] targets)
    {
        using var grad = enable_grad();
        var a = model.conv.call(x);
        var score = model.Head(a).gather(1, tensor(targets.Select(t => (long)t).ToArray()).unsqueeze(1)).sum();
        return autograd.grad(new[] { score }, new[] { a })[0].mean(new long[] { 2, 3 });
    }

    /// <summary>
    /// conv → tokens → one self-attention block (two heads) → mean over tokens → linear, as a user might write it. With
    /// <c>fused</c> it calls <c>scaled_dot_product_attention</c> (libtorch's CPU flash kernel: no double backward),
    /// otherwise the same attention by hand.
    /// </summary>
    private sealed class AttentionNet : nn.Module<Tensor, Tensor>
    {
        private const long Width = 8, Heads = 2;
        public readonly Conv2d conv;
        public readonly Linear qkv;
        public readonly Linear fc;
        private readonly bool _fused;

        public AttentionNet(bool fused) : base(nameof(AttentionNet))
        {
            manual_seed(5);
            conv = nn.Conv2d(3, Width, 3, padding: 1);
            qkv = nn.Linear(Width, 3 * Width);
            fc = nn.Linear(Width, 4);
            _fused = fused;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => Head(conv.call(x));

        public Tensor Head(Tensor a)
        {
            long batch = a.shape[0], length = a.shape[2] * a.shape[3];
            var tokens = a.flatten(2).transpose(1, 2);                                            // [B, L, W]
            var split = qkv.call(tokens).view(batch, length, 3, Heads, Width / Heads).permute(2, 0, 3, 1, 4);
            var (q, k, v) = (split[0], split[1], split[2]);                                       // [B, heads, L, d]
            var attended = _fused
                ? nn.functional.scaled_dot_product_attention(q, k, v)
                : q.matmul(k.transpose(-2, -1)).div(Math.Sqrt(Width / Heads)).softmax(-1).matmul(v);
            return fc.call(attended.transpose(1, 2).reshape(batch, length, Width).mean(new long[] { 1 }));
        }
    }
}
