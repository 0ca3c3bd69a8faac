using DecomCamNet.Clip.Models;
using DecomCamNet.Models;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace DecomCamNet.ExplainService.Soak;

/// <summary>
/// The weight files the soak serves besides the bundled SceneNet: a ResNet-18 and a small ResNet CLIP with random
/// weights from seed 0 (torch's global generator), written as safetensors as a user's checkpoint would be.
/// </summary>
public static class SoakModels
{
    /// <summary>A CLIP with OpenAI's ResNet image encoder at 128 px, one block per stage, and a one-block text encoder.</summary>
    public static ClipConfig SmallClip { get; } = new(32, 128, [1, 1, 1, 1], 8, null, 77, 49408, 64, 1, 1);

    /// <summary>Writes <c>resnet18.safetensors</c> and <c>clip.safetensors</c> into <paramref name="folder"/>; returns the service settings that serve them.</summary>
    public static ExplainServiceOptions Write(string folder, int workers, string? onnx)
    {
        Directory.CreateDirectory(folder);
        string resnet = Path.Combine(folder, "resnet18.safetensors");
        string clip = Path.Combine(folder, "clip.safetensors");
        manual_seed(0);
        using (var model = ModelZoo.Create("resnet18")) model.save_safetensors(resnet);
        using (var model = new ClipModel(SmallClip)) model.save_safetensors(clip);
        return new ExplainServiceOptions
        {
            Workers = workers,
            ResNet18Weights = resnet,
            ResNet18InputSize = 64,
            ClipWeights = clip,
            OnnxModel = onnx,
        };
    }
}
