using DecomCamNet.Imaging;
using static TorchSharp.torch;

namespace DecomCamNet.ExplainService;

/// <summary>
/// One model the service explains, as every request is checked against it: how each worker loads its own instance, how
/// images are prepared for it, the layers a map can be taken from (found once at start), and what a target may be.
/// </summary>
/// <param name="Name">The <c>model=</c> value.</param>
/// <param name="Load">Loads a fresh instance in evaluation mode (each worker calls it once, on its own thread).</param>
/// <param name="Preprocessing">Resize, crop and normalisation of the request image.</param>
/// <param name="DefaultLayer">The layer explained when the request names none.</param>
/// <param name="Layers">Every layer a request may name, with how its activations become feature maps [N,C,h,w]
/// (<see cref="ActivationReshape.None"/> for a layer that outputs them; an ONNX ViT's token layers get their inferred reshape).</param>
/// <param name="Outputs">Classes of a classifier (a <c>target</c> must be below it); unused for CLIP, whose targets are prompts.</param>
/// <param name="IsClip">Whether requests give text prompts (<c>prompt=</c>) to score the image embedding against.</param>
public sealed record ServedModel(
    string Name,
    Func<nn.Module<Tensor, Tensor>> Load,
    ImagePreprocessing Preprocessing,
    string DefaultLayer,
    IReadOnlyDictionary<string, ActivationReshape> Layers,
    long Outputs,
    bool IsClip);
