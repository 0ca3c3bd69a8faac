using DecomCamNet.Detection;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Detection;

/// <summary>
/// The transformer methods (attention rollout, gradient rollout, Chefer relevance, LeGrad) with box targets on a ViT
/// detector whose head reads the patch tokens (<see cref="VitDetector"/>): one map per box, each equal to the box's map
/// alone and, for the gradient methods, to the method's formula computed here from recorded attention probabilities and
/// their gradients of the box score.
/// </summary>
public class TransformerBoxTargetTests
{
    public static TheoryData<string> Methods => MethodFactory.Attention();

    /// <summary>No discarding, so that the hand-written rollouts below need no top-k.</summary>
    private static CamMethodSettings Settings => new() { Rollout = new RolloutOptions(DiscardRatio: 0) };

    /// <summary>The detector, its input and its two best detections as shrunk box targets (<see cref="VitDetector.BestBoxes"/>).</summary>
    private static (VitDetector Model, Tensor X, ReferenceBox[] Boxes, IReadOnlyList<DetectedBox> Detections) Detector(int layers = 3)
    {
        var model = new VitDetector(layers);
        model.eval();
        var x = DeterministicInit.Input(new long[] { 1, 3, 64, 64 });
        var (boxes, detections) = model.BestBoxes(x);
        return (model, x, boxes, detections);
    }

    private static CamTarget Both(ReferenceBox[] boxes) => CamTarget.Boxes(new[] { boxes });

    private static CamTarget Alone(ReferenceBox box) => CamTarget.Boxes(new[] { new[] { box } });

    [Theory]
    [MemberData(nameof(Methods))]
    public void TwoBoxesGiveTwoMapsEachAsItsBoxAlone(string method)
    {
        using var scope = NewDisposeScope();
        var (model, x, boxes, detections) = Detector();
        using var _ = model;
        Assert.Equal(2, boxes.Length);
        using var cam = CamMethods.Create(method, model, Array.Empty<CamLayer>(), Settings);
        using var both = cam.Explain(x, Both(boxes));
        Assert.Equal(new long[] { 2, 64, 64 }, both.Maps.shape);
        Assert.Equal(new long[] { 2, 8, 8 }, both.RawMaps[^1].shape); // 64 px in patches of 8
        Assert.Equal(3, both.LayerNames.Count);
        Assert.Equal(0, isfinite(both.Maps).logical_not().sum().item<long>());
        Assert.True(both.Maps.min().item<float>() >= 0f && both.Maps.max().item<float>() <= 1f);
        // Each box matches its own anchor: the detection's score plus IoU 0.95² = 0.9025.
        var scores = both.Scores.data<float>().ToArray();
        for (int i = 0; i < 2; i++) Assert.Equal(detections[i].Score + 0.9025f, scores[i], 4);
        Assert.Equal(boxes.Select(b => (long)b.ClassIndex), both.Classes!.data<long>().ToArray());
        for (int i = 0; i < 2; i++)
        {
            Assert.True(both.Maps[i].max().item<float>() > 0.5f, $"{method}: box {i} has an empty map");
            using var alone = cam.Explain(x, Alone(boxes[i]));
            float diff = TestTensors.MaxAbsDiff(both.Maps[i], alone.Maps[0]);
            Assert.True(diff < 1e-5f, $"{method}: box {i} with the other box differs from it alone by {diff}");
        }
        float between = TestTensors.MaxAbsDiff(both.Maps[0], both.Maps[1]);
        if (method == "rollout") Assert.True(between < 1e-5f, $"rollout ignores the target, yet its two maps differ by {between}");
        else Assert.True(between > 1e-2f, $"{method}: the two boxes gave the same map (max difference {between})");
    }

    [Theory]
    [InlineData("rollout")]
    [InlineData("gradrollout")]
    [InlineData("chefer")]
    public void TheRelevanceIsTheFormulaOnTheBoxScoresGradients(string method)
    {
        using var scope = NewDisposeScope();
        var (model, x, boxes, _) = Detector();
        using var _ = model;
        var (probs, _, output) = Recorded(model, x);
        var grads = autograd.grad(new[] { BoxScore(output, boxes[0]) }, probs);
        var r = eye(probs[0].shape[^1]);
        for (int l = 0; l < probs.Length; l++)
        {
            var a = probs[l][0];
            var g = grads[l][0];
            if (method == "chefer")
            {
                r = r + nn.functional.relu(g * a).mean(new long[] { 0 }).matmul(r); // R ← R + mean_h ReLU(∂y/∂A ⊙ A) · R
                continue;
            }
            var fused = method == "rollout" ? a.mean(new long[] { 0 }) : nn.functional.relu((a * g).mean(new long[] { 0 }));
            var step = fused + eye(fused.shape[0]);
            r = (step / step.sum(-1, keepdim: true)).matmul(r); // R ← ((Ā + I) rows renormalised) · R
        }
        var expected = r[0].narrow(0, 1, 64).reshape(8, 8);

        using var cam = CamMethods.Create(method, model, Array.Empty<CamLayer>(), Settings);
        using var result = cam.Explain(x, Alone(boxes[0]));
        // The same box score as a custom target: the box target adds nothing but the score.
        using var custom = cam.Explain(x, CamTarget.Custom(o => BoxScore(o, boxes[0]), "box 0 by hand"));
        Assert.True(expected.abs().max().item<float>() > 1e-3f, $"{method}: the class token's row over the patches is empty");
        // Relevances up to about 0.05 (rollout) and 0.015 (the gradient methods) after three 65x65 products in float32.
        Assert.True(TestTensors.MaxAbsDiff(expected, result.RawMaps[^1][0]) < 1e-6f, $"{method}: {TestTensors.MaxAbsDiff(expected, result.RawMaps[^1][0])}");
        Assert.True(TestTensors.MaxAbsDiff(result.Maps, custom.Maps) < 1e-6f);
        Assert.Equal(result.Scores.item<float>(), custom.Scores.item<float>());
    }

    [Fact]
    public void LeGradScoresTheBoxOnEachBlocksOwnDetections()
    {
        using var scope = NewDisposeScope();
        var (model, x, boxes, _) = Detector();
        using var _ = model;
        var (probs, blocks, _) = Recorded(model, x);
        using var cam = CamMethods.Create("legrad", model, Array.Empty<CamLayer>(), Settings);
        using var result = cam.Explain(x, Alone(boxes[1]));
        for (int l = 0; l < probs.Length; l++)
        {
            // E_l = mean over heads and queries of ReLU(∂s_l/∂A_l), s_l the box score of block l's tokens decoded.
            var g = autograd.grad(new[] { BoxScore(model.ClassifyTokens(blocks[l]), boxes[1]) }, new[] { probs[l] }, retain_graph: true)[0];
            var expected = nn.functional.relu(g[0]).mean(new long[] { 0, 1 }).narrow(0, 1, 64).reshape(8, 8);
            Assert.True(expected.abs().max().item<float>() > 1e-4f, $"block {l}: no gradient reached the attention");
            Assert.True(TestTensors.MaxAbsDiff(expected, result.RawMaps[l][0]) < 1e-6f, $"block {l}: {TestTensors.MaxAbsDiff(expected, result.RawMaps[l][0])}");
        }
    }

    [Fact]
    public void LeGradRefusesANamedHeadThatScoresTheClassTokenOfADetector()
    {
        using var scope = NewDisposeScope();
        var (model, x, boxes, _) = Detector();
        using var _ = model;
        // The named final norm and head score a block's class token: [1, 7] for a model whose output is [1, 7, 64].
        using var cam = new LeGrad(model, new LeGradOptions("encoder.ln", "head"));
        long before = TestTensors.LiveTensors;
        var e = Assert.Throws<CamException>(() => cam.Explain(x, Alone(boxes[0])).Dispose());
        Assert.Contains("[1,7]", e.Message);
        Assert.Contains("[1,7,64]", e.Message);
        Assert.Contains(nameof(ITokenClassifier), e.Message);
        Assert.Equal(before, TestTensors.LiveTensors);
    }

    [Theory]
    [InlineData("gradrollout")]
    [InlineData("chefer")]
    public void AOneBlockDetectorIsRefusedByTheGradientRelevanceMethods(string method)
    {
        // One block: the box score reads only the patch tokens' outputs, never what the class token attends to.
        using var scope = NewDisposeScope();
        var (model, x, boxes, _) = Detector(layers: 1);
        using var _ = model;
        using var cam = CamMethods.Create(method, model, Array.Empty<CamLayer>(), Settings);
        long before = TestTensors.LiveTensors;
        var e = Assert.Throws<CamException>(() => cam.Explain(x, Alone(boxes[0])).Dispose());
        Assert.Contains("does not depend on what the class token attends to", e.Message);
        Assert.Equal(before, TestTensors.LiveTensors);
        // Rollout (no target) and LeGrad (each block's own detections) still apply.
        foreach (var other in new[] { "rollout", "legrad" })
        {
            using var ok = CamMethods.Create(other, model, Array.Empty<CamLayer>(), Settings);
            using var r = ok.Explain(x, Alone(boxes[0]));
            Assert.True(r.Maps.max().item<float>() > 0.5f, $"{other}: an empty map");
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void HooksAreRemovedAndNoTensorOutlivesACall(string method)
    {
        var (model, x, boxes, _) = Detector();
        using var _ = model;
        using var xs = x;
        var target = Both(boxes);
        var cam = CamMethods.Create(method, model, Array.Empty<CamLayer>(), Settings);
        using (cam.Explain(x, target)) { }
        long before = TestTensors.LiveTensors;
        for (int i = 0; i < 3; i++)
        {
            using var r = cam.Explain(x, target);
            Assert.Equal(2, r.Maps.shape[0]);
        }
        Assert.Equal(before, TestTensors.LiveTensors);
        Assert.True(TestTensors.ForwardHookCountInModel(model) > 0);
        cam.Dispose();
        Assert.Equal(0, TestTensors.ForwardHookCountInModel(model));
    }

    /// <summary>The box score that <see cref="CamTarget.Box"/> computes, written out: <see cref="BoxMatchScore"/> on the decoded output.</summary>
    private static Tensor BoxScore(Tensor output, ReferenceBox box) =>
        BoxMatchScore.Compute(DetectionDecoder.Decode(output, DetectionLayout.YoloV8), tensor(box.Box.ToArray(), new long[] { 1, 4 }),
            tensor(new long[] { box.ClassIndex }), 0.5);

    /// <summary>One forward with gradients, recording every block's attention probabilities and output tokens.</summary>
    private static (Tensor[] Probs, Tensor[] Blocks, Tensor Output) Recorded(VitDetector model, Tensor x)
    {
        var probs = new List<Tensor>();
        var blocks = new List<Tensor>();
        var removers = new List<Action>();
        foreach (var (name, module) in model.named_modules())
        {
            if (module is AttentionProbabilities p)
            {
                var r = p.register_forward_hook((_, _, o) => { probs.Add(o.contiguous()); return o; });
                removers.Add(() => r.remove());
            }
            else if (model.TokenBlocks.Contains(name))
            {
                var r = ((nn.Module<Tensor, Tensor>)module).register_forward_hook((_, _, o) => { blocks.Add(o.contiguous()); return o; });
                removers.Add(() => r.remove());
            }
        }
        try
        {
            using var grad = enable_grad();
            var output = model.call(x);
            return (probs.ToArray(), blocks.ToArray(), output);
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
    }
}
