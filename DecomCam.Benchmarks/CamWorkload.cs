using DecomCamNet.Cam;
using DecomCamNet.Clip;
using DecomCamNet.Clip.Models;
using DecomCamNet.Models;
using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// One benchmark case: a zoo model with random weights (speed does not depend on them), a 224x224 input batch, and either
/// a baseline or a CAM method on a layer (by default the model's default one).
/// </summary>
internal sealed class CamWorkload : IDisposable
{
    /// <summary>The baselines the speed targets are stated against.</summary>
    public static readonly string[] Baselines = { Forward, ForwardBackward, GradCamPlusForwards, GradCamPlusBatchOf10, ChannelForwards };

    /// <summary>One forward of the batch, without gradients.</summary>
    public const string Forward = "forward";

    /// <summary>One forward and a backward of the top scores all the way to the input.</summary>
    public const string ForwardBackward = "forward+backward";

    /// <summary>DecomCAM's target: Grad-CAM, then Q+1 = 11 forwards of the batch.</summary>
    public const string GradCamPlusForwards = "gradcam+11-forwards";

    /// <summary>
    /// DecomCAM's floor in the official code's mode: Grad-CAM, then one forward of 10 images, the Q = 10 blends in the one
    /// batch that the CPU default picks for a 224-px ResNet (see <see cref="MaskedForwards"/>).
    /// </summary>
    public const string GradCamPlusBatchOf10 = "gradcam+forward-of-10";

    /// <summary>DecomCAM with the official code's integration (score / max, Q blends without the blurred reference).</summary>
    public const string DecomCamOfficial = "decomcam-official";

    /// <summary>Score-CAM with batches of 32 masked inputs (pytorch-grad-cam's setting in the side-by-side runs).</summary>
    public const string ScoreCamBatch32 = "scorecam-32";

    /// <summary>
    /// SS-CAM and IS-CAM with one noise or scale sample: their defaults (35 and 10 samples, each a Score-CAM pass of K
    /// forwards) take minutes per call on ResNet-18; the time grows linearly with the sample count.
    /// </summary>
    public const string SsCamOneSample = "sscam-1-sample", IsCamOneSample = "iscam-1-sample";

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
    private readonly ClipPrompts? _prompts;
    private readonly CamTarget? _target;

    public CamWorkload(string method, string model, int batch, string layer)
    {
        manual_seed(0);
        _name = method;
        _key = PeakMemoryColumn.Key(method, model, batch, layer);
        bool clip = ClipZoo.Names.Contains(model);
        _model = clip ? ClipZoo.Create(model) : ModelZoo.Create(model);
        _model.eval();
        int size = clip ? ClipZoo.Config(model).ImageResolution : 224;
        _input = randn(batch, 3, size, size);
        CamLayer target = layer == DefaultLayer ? (clip ? ClipZoo.DefaultLayer(model) : ModelZoo.DefaultLayer(model)) : layer;
        if (clip)
        {
            target = target.WithReshape(ClipZoo.Reshape(ClipZoo.Config(model)));
            _prompts = new ClipPrompts((ClipModel)_model, new[] { "a photo of a cat" });
            _target = _prompts.ZeroShot;
        }
        _method = method switch
        {
            GradCamPlusForwards or GradCamPlusBatchOf10 => new GradCam(_model, target),
            DecomCamOfficial => CamMethods.Create("decomcam", _model, new[] { target }, new CamMethodSettings { DecomCam = new DecomCamOptions(Integration: DecomIntegration.Official) }),
            ScoreCamBatch32 => CamMethods.Create("scorecam", _model, new[] { target }, new CamMethodSettings { BatchSize = 32 }),
            SsCamOneSample or IsCamOneSample => CamMethods.Create(method[..5], _model, new[] { target }, new CamMethodSettings { Samples = 1 }),
            _ when Baselines.Contains(method) => null,
            _ => CamMethods.Create(method, _model, new[] { target }, new CamMethodSettings()),
        };
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
                _method!.Explain(_input, _target).Dispose();
                for (int i = 0; i < 11; i++) ForwardNoGrad(_input);
                break;
            case GradCamPlusBatchOf10:
                _method!.Explain(_input, _target).Dispose();
                ForwardNoGrad(_input.narrow(0, 0, 1).expand(10, -1, -1, -1).contiguous());
                break;
            case ChannelForwards:
                var batch32 = _input.narrow(0, 0, 1).expand(32, -1, -1, -1).contiguous();
                for (long i = 0; i < _forwardsOf32; i++) ForwardNoGrad(batch32);
                break;
            default:
                _method!.Explain(_input, _target).Dispose();
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
        _prompts?.Dispose();
        _input.Dispose();
        _model.Dispose();
    }
}
