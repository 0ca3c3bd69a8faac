using TorchSharp;

namespace DecomCamNet.Cam;

/// <summary>
/// A guard over a model's mutable flags: <see cref="Capture"/> records each module's training flag and each parameter's
/// <c>requires_grad</c>, and <see cref="Dispose"/> restores them exactly. Explanations, shape probes and metric scorers
/// switch the model to evaluation mode inside one and leave it as the caller had it.
/// </summary>
public sealed class ModelState : IDisposable
{
    private readonly List<(torch.nn.Module Module, bool Training)> _training = new();
    private readonly List<(TorchSharp.Modules.Parameter Parameter, bool RequiresGrad)> _requiresGrad = new();

    private ModelState() { }

    /// <summary>Records the flags of <paramref name="model"/> and all its submodules and parameters.</summary>
    public static ModelState Capture(torch.nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var state = new ModelState();
        state._training.Add((model, model.training));
        foreach (var (_, m) in model.named_modules()) state._training.Add((m, m.training));
        foreach (var p in model.parameters()) state._requiresGrad.Add((p, p.requires_grad));
        return state;
    }

    /// <summary>Puts every recorded flag back to its captured value (those that still hold it are left alone).</summary>
    public void Dispose()
    {
        foreach (var (m, training) in _training)
            if (m.training != training) m.train(training);
        foreach (var (p, requiresGrad) in _requiresGrad)
            if (p.requires_grad != requiresGrad) p.requires_grad = requiresGrad;
    }
}
