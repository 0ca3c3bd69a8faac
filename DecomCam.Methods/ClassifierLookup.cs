using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Finds the final linear layer that maps pooled features to class scores (CAM, Deep Feature Factorization).</summary>
internal static class ClassifierLookup
{
    /// <summary>
    /// The linear layer <paramref name="given"/> (a module or dotted name), or without one the model's last
    /// <see cref="Linear"/> module; <paramref name="method"/> and <paramref name="optionName"/> name the asker in errors.
    /// </summary>
    /// <exception cref="ArgumentException">The given layer is not linear, or the model has no linear layer.</exception>
    public static (string Name, Linear Module) Find(nn.Module model, CamLayer? given, string method, string optionName)
    {
        if (given is { } layer)
        {
            var (name, module) = layer.Resolve(model);
            return module is Linear linear ? (name, linear)
                : throw new ArgumentException($"The classifier '{name}' is a {module.GetType().Name}, not a linear layer.", "options");
        }
        var last = model.named_modules().LastOrDefault(m => m.module is Linear);
        return last.module is Linear found ? (last.name, found)
            : throw new ArgumentException($"{method} needs the model's final linear layer and the model has none; give {optionName}.", "options");
    }
}
