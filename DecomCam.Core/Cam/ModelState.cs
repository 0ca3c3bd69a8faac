using TorchSharp;

namespace DecomCamNet;

/// <summary>
/// A snapshot of a model's mutable flags (each module's training flag and each parameter's <c>requires_grad</c>),
/// restored exactly by <see cref="Restore"/>. Explanations switch the model to evaluation mode and put it back.
/// </summary>
internal sealed class ModelState
{
    private readonly List<(torch.nn.Module Module, bool Training)> _training = new();
    private readonly List<(TorchSharp.Modules.Parameter Parameter, bool RequiresGrad)> _requiresGrad = new();

    private ModelState() { }

    public static ModelState Capture(torch.nn.Module model)
    {
        var state = new ModelState();
        state._training.Add((model, model.training));
        foreach (var (_, m) in model.named_modules()) state._training.Add((m, m.training));
        foreach (var p in model.parameters()) state._requiresGrad.Add((p, p.requires_grad));
        return state;
    }

    public void Restore()
    {
        foreach (var (m, training) in _training)
            if (m.training != training) m.train(training);
        foreach (var (p, requiresGrad) in _requiresGrad)
            if (p.requires_grad != requiresGrad) p.requires_grad = requiresGrad;
    }
}
