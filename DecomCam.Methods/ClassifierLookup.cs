using DecomCamNet.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// Finds the final linear layer that maps pooled features to class scores (CAM, Deep Feature Factorization): a
/// TorchSharp <see cref="Linear"/> module or an <see cref="ILinearLayer"/> (an imported Gemm or MatMul node), and reads
/// its weight and bias.
/// </summary>
internal static class ClassifierLookup
{
    /// <summary>
    /// The linear layer <paramref name="given"/> (a module or dotted name), or without one the model's last linear
    /// layer; <paramref name="method"/> and <paramref name="optionName"/> name the asker in errors.
    /// </summary>
    /// <exception cref="ArgumentException">The given layer is not linear, or the model has no linear layer.</exception>
    public static (string Name, nn.Module Module) Find(nn.Module model, CamLayer? given, string method, string optionName)
    {
        if (given is { } layer)
        {
            var (name, module) = layer.Resolve(model);
            return IsLinear(module) ? (name, module)
                : throw new ArgumentException($"The classifier '{name}' is a {module.GetType().Name}, not a linear layer.", "options");
        }
        var last = model.named_modules().LastOrDefault(m => IsLinear(m.module));
        return last.module is not null ? (last.name, last.module)
            : throw new ArgumentException($"{method} needs the model's final linear layer and the model has none; give {optionName}.", "options");
    }

    /// <summary>The classifier's weight <c>[classes, features]</c>, detached (the caller disposes it); null when the module is no linear layer.</summary>
    public static Tensor? Weight(nn.Module module) => module switch
    {
        Linear linear => linear.weight!.detach(),
        ILinearLayer layer => layer.LinearWeight,
        _ => null,
    };

    /// <summary>The classifier's bias <c>[classes]</c>, detached (the caller disposes it); null when it has none.</summary>
    public static Tensor? Bias(nn.Module module) => module switch
    {
        Linear linear => linear.bias?.detach(),
        ILinearLayer layer => layer.LinearBias,
        _ => null,
    };

    private static bool IsLinear(nn.Module module) => module is Linear or ILinearLayer { IsLinear: true };
}
