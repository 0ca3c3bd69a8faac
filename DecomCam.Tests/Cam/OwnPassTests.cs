using DecomCamNet.Cam;
using DecomCamNet.Native;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

/// <summary>
/// The template's passes for methods that need more than the first one (<c>ForwardRecorded</c>, <c>LayerGradient</c>):
/// the same recorder and gradient as the pipeline's, a layer output that can be replaced, and one set of error messages.
/// </summary>
public class OwnPassTests
{
    /// <summary>Runs one pass of its own per layer and reports it next to what the pipeline's pass gave.</summary>
    private sealed class Probe(nn.Module<Tensor, Tensor> model, CamLayer layer, bool ownPasses) : CamMethod(model, new[] { layer }, null)
    {
        public bool ContextHadGradients { get; private set; }

        public override string Name => "probe";

        protected override bool GradientsInOwnPasses => ownPasses;

        protected override LayerMap ComputeLayerMap(CamContext context, int layer)
        {
            ContextHadGradients = context.Gradients is not null;
            var pass = ForwardRecorded(context, context.Input);
            var own = AsFeatureMap(layer, LayerGradient(pass, layer), context.Rows);
            var doubled = ForwardRecorded(context, context.Input, (l, output) => l == layer ? output.add(output, CachedScalars.One) : null);
            var intermediates = new Dictionary<string, Tensor>
            {
                ["own"] = own,
                ["doubledActivations"] = AsFeatureMap(layer, doubled.LayerOutputs[layer], context.Rows),
                ["doubledScores"] = doubled.Scores.detach(),
                ["activations"] = context.Activations[layer],
            };
            if (context.Gradients is not null) intermediates["pipeline"] = context.GradientsOf(layer);
            return LayerMap.OfChannels(context.Activations[layer], intermediates);
        }
    }

    [Fact]
    public void AnOwnPassGivesThePipelinesGradient()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear();
        var x = TestTensors.Batch(2, 8, 8);
        using var probe = new Probe(model, "features", ownPasses: false);
        using var result = probe.Explain(x, new[] { 1, 3 });
        Assert.True(probe.ContextHadGradients);
        Assert.Equal(0f, TestTensors.MaxAbsDiff(result.Intermediate("own"), result.Intermediate("pipeline")));
        // d score / d A at the ReLU's output is the class's fc weight over the 64 positions, everywhere.
        var expected = model.fc.weight.detach().index_select(0, tensor(new long[] { 1, 3 })).div(64f)[.., .., TensorIndex.None, TensorIndex.None].expand(2, 8, 8, 8);
        Assert.True(TestTensors.MaxAbsDiff(result.Intermediate("own"), expected) < 1e-7f);
    }

    [Fact]
    public void OwnPassesLeaveThePipelinesPassWithoutGradients()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear();
        var x = TestTensors.Batch(2, 8, 8);
        using var probe = new Probe(model, "features", ownPasses: true);
        using var result = probe.Explain(x, new[] { 1, 3 });
        Assert.False(probe.ContextHadGradients);
        Assert.Throws<KeyNotFoundException>(() => result.Intermediate("pipeline"));
        var expected = model.fc.weight.detach().index_select(0, tensor(new long[] { 1, 3 })).div(64f)[.., .., TensorIndex.None, TensorIndex.None].expand(2, 8, 8, 8);
        Assert.True(TestTensors.MaxAbsDiff(result.Intermediate("own"), expected) < 1e-7f);
    }

    [Fact]
    public void AReplacedLayerOutputIsWhatTheModelUsesAndWhatIsRecorded()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear();
        var x = TestTensors.Batch(2, 8, 8);
        using var probe = new Probe(model, "features", ownPasses: true);
        using var result = probe.Explain(x, new[] { 1, 3 });
        var a = result.Intermediate("activations");
        Assert.Equal(0f, TestTensors.MaxAbsDiff(result.Intermediate("doubledActivations"), a.add(a, CachedScalars.One)));
        // score(2A) − b = 2 (score(A) − b) for a linear head over the pooled activations.
        var bias = model.fc.bias!.detach().index_select(0, tensor(new long[] { 1, 3 }));
        var linear = result.Scores.sub(bias);
        Assert.True(TestTensors.MaxAbsDiff(result.Intermediate("doubledScores").sub(bias), linear.add(linear, CachedScalars.One)) < 1e-5f);
        Assert.True(linear.abs().max().item<float>() > 1e-2f);
    }

    [Fact]
    public void EveryGradientMethodNamesALayerTheScoreDoesNotDependOnAlike()
    {
        using var scope = NewDisposeScope();
        var model = new DetachingNet();
        var x = TestTensors.Batch(1, 8, 8);
        string MessageOf(CamMethod method)
        {
            using (method) return Assert.Throws<CamException>(() => method.Explain(x)).Message;
        }
        var gradCam = MessageOf(new GradCam(model, "conv"));
        Assert.Contains("does not depend on layer 'conv'", gradCam);
        Assert.Equal(gradCam, MessageOf(new SmoothGradCamPlusPlus(model, "conv")));
        Assert.Equal(gradCam, MessageOf(new ShapleyCam(model, "conv")));
    }
}
