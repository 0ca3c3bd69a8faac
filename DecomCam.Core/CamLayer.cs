using DecomCamNet.Models;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// A target layer, given either as a module instance or as its dotted name in the model
/// (<c>layer4</c>, <c>layer4.1.conv2</c>, <c>features.29</c>), with an optional <see cref="Reshape"/> for layers whose
/// output is not a feature map (transformer tokens). Converts implicitly from both.
/// </summary>
public readonly record struct CamLayer
{
    private CamLayer(string? name, nn.Module? module) { Name = name; Module = module; }

    /// <summary>The dotted name, when the layer was given by name.</summary>
    public string? Name { get; }

    /// <summary>The module, when the layer was given as an instance.</summary>
    public nn.Module? Module { get; }

    /// <summary>How the layer's output becomes a feature map <c>[N,C,h,w]</c>; null for none (a convolutional layer).</summary>
    public ActivationReshape? Reshape { get; init; }

    /// <summary>The same layer with <paramref name="reshape"/> applied to its output (<c>"visual.transformer.resblocks.11.ln_1"</c> with <see cref="ActivationReshape.VitSequenceFirst"/>).</summary>
    public CamLayer WithReshape(ActivationReshape? reshape) => this with { Reshape = reshape };

    /// <summary>A layer given by its dotted name.</summary>
    public static implicit operator CamLayer(string name) => new(name ?? throw new ArgumentNullException(nameof(name)), null);

    /// <summary>A layer given as a module of the model.</summary>
    public static implicit operator CamLayer(nn.Module module) => new(null, module ?? throw new ArgumentNullException(nameof(module)));

    /// <inheritdoc />
    public override string ToString() => (Name ?? Module?.GetName() ?? "(none)") + (Reshape is { Layout: not ActivationLayout.FeatureMap } r ? $" ({r.Layout})" : "");

    /// <summary>
    /// Finds the layer in <paramref name="model"/> and returns its dotted name and module.
    /// </summary>
    /// <remarks>A model that implements <see cref="ILayerNameMap"/> also takes its own names (an ONNX graph's node and
    /// tensor names).</remarks>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid names), the module is not
    /// part of the model, or it does not map one tensor to one tensor.</exception>
    public (string Name, nn.Module<Tensor, Tensor> Module) Resolve(nn.Module model)
    {
        var all = model.named_modules().ToList();
        var (wantedName, wantedModule) = (Name, Module);
        nn.Module found;
        string name;
        if (Name is not null)
        {
            var hit = all.FirstOrDefault(m => m.name == wantedName);
            if (hit.module is null && model is ILayerNameMap map)
            {
                var path = map.ToModulePath(Name);
                hit = all.FirstOrDefault(m => m.name == path);
            }
            if (hit.module is null)
            {
                var valid = string.Join(", ", all.Select(m => m.name).Take(400));
                throw new ArgumentException($"Layer '{Name}' is not in the model. Valid layer names: {valid}", "layer");
            }
            (name, found) = (hit.name, hit.module);
        }
        else
        {
            var hit = all.FirstOrDefault(m => ReferenceEquals(m.module, wantedModule));
            if (hit.module is null)
                throw new ArgumentException($"The layer module '{Module!.GetName()}' is not a submodule of the model.", "layer");
            (name, found) = (hit.name, hit.module);
        }
        if (found is not nn.Module<Tensor, Tensor> typed)
            throw new ArgumentException($"Layer '{name}' ({found.GetType().Name}) does not map one tensor to one tensor; choose a layer whose output is a feature map [N,C,h,w].", "layer");
        return (name, typed);
    }
}
