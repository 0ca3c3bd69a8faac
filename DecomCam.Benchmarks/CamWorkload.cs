using DecomCamNet.Models;
using static TorchSharp.torch;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// One benchmark case: a zoo model with random weights (speed does not depend on them), a 224x224 input batch, and either
/// a baseline ("forward", "forward+backward", "forward-x32") or a CAM method on a layer (by default the model's default one).
/// </summary>
internal sealed class CamWorkload : IDisposable
{
    /// <summary>The baselines the speed targets are stated against ("forward-x32": one forward of 32 copies of the input).</summary>
    public static readonly string[] Baselines = { "forward", "forward+backward", "forward-x32" };

    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly Tensor _input;
    private readonly ICamMethod? _method;
    private readonly string _name;
    private readonly string _key;

    public CamWorkload(string method, string model, int batch, string layer)
    {
        manual_seed(0);
        _name = method;
        _key = PeakMemoryColumn.Key(method, model, batch, layer);
        _model = ModelZoo.Create(model);
        _model.eval();
        _input = randn(batch, 3, 224, 224);
        if (!Baselines.Contains(method))
            _method = CamMethods.Create(method, _model, new CamLayer[] { layer == "default" ? ModelZoo.DefaultLayer(model) : layer }, new CamMethodSettings());
        GC.Collect();
        PeakMemoryColumn.Reset();
    }

    public void Run()
    {
        using var scope = NewDisposeScope();
        switch (_name)
        {
            case "forward":
                using (no_grad()) _model.call(_input);
                break;
            case "forward-x32":
                using (no_grad()) _model.call(_input.expand(32, -1, -1, -1));
                break;
            case "forward+backward":
                // Back-propagates the top score all the way to the input (more than a CAM needs: it stops at its layer).
                var x = _input.detach().requires_grad_(true);
                var score = _model.call(x).max(1).values.sum();
                using (LibTorchBackends.SafeBackward()) autograd.grad(new[] { score }, new[] { x });
                break;
            default:
                _method!.Explain(_input).Dispose();
                break;
        }
    }

    public void Dispose()
    {
        PeakMemoryColumn.Record(_key);
        _method?.Dispose();
        _input.Dispose();
        _model.Dispose();
    }
}
