using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// torchvision's transformer MLP (<c>torchvision.ops.MLP</c> with GELU, as in ViT's <c>MLPBlock</c> and Swin's blocks):
/// children <c>0</c> (linear, width to hidden), <c>1</c> (exact GELU), <c>2</c> (dropout), <c>3</c> (linear, hidden to
/// width), <c>4</c> (dropout), so the state-dict keys are <c>mlp.0.weight</c> and <c>mlp.3.weight</c>. Dropout rates
/// are 0 (the zoo models are for inference).
/// </summary>
public static class TransformerMlp
{
    /// <summary>Creates the MLP.</summary>
    /// <param name="width">Input and output features.</param>
    /// <param name="hidden">Features of the hidden layer.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public static HookSafeSequential Create(long width, long hidden, Device? device = null) => new(
        nn.Linear(width, hidden, device: device),
        nn.GELU(),
        nn.Dropout(0.0),
        nn.Linear(hidden, width, device: device),
        nn.Dropout(0.0));
}
