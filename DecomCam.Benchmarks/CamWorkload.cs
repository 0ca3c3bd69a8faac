using DecomCamNet.Models;
using static TorchSharp.torch;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// One benchmark case: a zoo model with random weights (speed does not depend on them), a 224x224 input batch, and either
/// a baseline or a CAM method on a layer (by default the model's default one).
/// </summary>
internal sealed class CamWorkload : IDisposable
{
    /// <summary>The baselines the speed targets are stated against.</summary>
    public static readonly string[] Baselines = { Forward, ForwardBackward, GradCamPlusForwards, ChannelForwards };

    /// <summary>One forward of the batch, without gradients.</summary>
    public const string Forward = "forward";

    /// <summary>One forward and a backward of the top scores all the way to the input.</summary>
    public const string ForwardBackward = "forward+backward";

    /// <summary>DecomCAM's target: Grad-CAM, then Q+1 = 11 forwards of the batch.</summary>
    public const string GradCamPlusForwards = "gradcam+11-forwards";

    /// <summary>Score-CAM's target: ⌈batch·K/32⌉ forwards of 32 images, K being the layer's channel count.</summary>
    public const string ChannelForwards = "K/32-forwards";

    /// <summary>The layer name that stands for the model's <see cref="ModelZoo.DefaultLayer"/>.</summary>
    public const string DefaultLayer = "default";

    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly Tensor _input;
    private readonly ICamMethod? _method;
    private readonly string _name;
    private readonly string _key;
    private readonly long _forwardsOf32;

    public CamWorkload(string method, string model, int batch, string layer)
    {
        manual_seed(0);
        _name = method;
        _key = PeakMemoryColumn.Key(method, model, batch, layer);
        _model = ModelZoo.Create(model);
        _model.eval();
        _input = randn(batch, 3, 224, 224);
        CamLayer target = layer == DefaultLayer ? ModelZoo.DefaultLayer(model) : layer;
        if (method == GradCamPlusForwards) _method = new GradCam(_model, target);
        else if (!Baselines.Contains(method)) _method = CamMethods.Create(method, _model, new[] { target }, new CamMethodSettings());
        if (method == ChannelForwards) _forwardsOf32 = (batch * ChannelCount(target) + 31) / 32;
        GC.Collect();
        PeakMemoryColumn.Reset();
    }

    public void Run()
    {
        using var scope = NewDisposeScope();
        switch (_name)
        {
            case Forward:
                using (no_grad()) _model.call(_input);
                break;
            case ForwardBackward:
                var x = _input.detach().requires_grad_(true);
                var score = _model.call(x).max(1).values.sum();
                using (LibTorchBackends.SafeBackward()) autograd.grad(new[] { score }, new[] { x });
                break;
            case GradCamPlusForwards:
                _method!.Explain(_input).Dispose();
                for (int i = 0; i < 11; i++) ForwardNoGrad(_input);
                break;
            case ChannelForwards:
                var batch32 = _input.narrow(0, 0, 1).expand(32, -1, -1, -1).contiguous();
                for (long i = 0; i < _forwardsOf32; i++) ForwardNoGrad(batch32);
                break;
            default:
                _method!.Explain(_input).Dispose();
                break;
        }
    }

    private void ForwardNoGrad(Tensor input)
    {
        using var scope = NewDisposeScope();
        using (no_grad()) _model.call(input);
    }

    private long ChannelCount(CamLayer layer)
    {
        using var recorder = new ActivationRecorder(_model, new[] { layer });
        using var scope = NewDisposeScope();
        recorder.Start();
        using (no_grad()) _model.call(_input);
        recorder.Stop();
        return recorder.Collect(_input.shape[0])[0].shape[1];
    }

    public void Dispose()
    {
        PeakMemoryColumn.Record(_key);
        _method?.Dispose();
        _input.Dispose();
        _model.Dispose();
    }
}
