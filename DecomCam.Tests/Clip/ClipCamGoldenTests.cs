using DecomCamNet.Clip;
using DecomCamNet.Clip.Models;
using DecomCamNet.Imaging;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Clip;

/// <summary>
/// Grad-CAM, Score-CAM and DecomCAM of CLIP models for text prompts against reference/make_clip_cam_goldens.py (OpenAI's
/// model code, cam_reference.py's methods): a small ModifiedResNet at visual.layer4 and a small ViT at its last block's
/// ln_1 through the sequence-first token reshape, each image's zero-shot choice among three prompts as the target.
/// </summary>
public class ClipCamGoldenTests
{
    private static readonly string[] Prompts = { "a photo of a cat", "a dog on the grass", "a red car" };

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in new[] { "rn", "vit" })
            foreach (var method in new[] { "gradcam", "scorecam", "decomcam", "decomcam_official" })
                data.Add(model, method);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PromptMapsMatchTheReference(string model, string method)
    {
        using var scope = NewDisposeScope();
        bool vit = model == "vit";
        var config = vit
            ? new ClipConfig(32, 64, new[] { 2 }, 64, 16, 77, 49408, 32, 2, 1)
            : new ClipConfig(32, 128, new[] { 1, 1, 1, 1 }, 8, null, 77, 49408, 32, 2, 1);
        using var clip = DeterministicInit.FillModule(new ClipModel(config));
        clip.eval();
        using var prompts = new ClipPrompts(clip, Prompts);
        var x = DeterministicInit.Input(new long[] { 2, 3, config.ImageResolution, config.ImageResolution });
        CamLayer layer = vit ? ((CamLayer)"visual.transformer.resblocks.1.ln_1").WithReshape(ActivationReshape.VitSequenceFirst) : "visual.layer4";
        var settings = new CamMethodSettings { DecomCam = new DecomCamOptions(Integration: method == "decomcam_official" ? DecomIntegration.Official : DecomIntegration.Paper) };
        using var cam = CamMethods.Create(method.Split('_')[0], clip, new[] { layer }, settings);
        using var result = cam.Explain(x, prompts.ZeroShot);

        var expected = NpyFile.Read(RepoPaths.Golden("clip", "cam", $"{model}_{method}.npy"));
        Assert.Equal(expected.shape, result.Maps.shape);
        // Maps in [0,1]; float32 rounding through a 2-block text and image encoder and a cosine score moves them by
        // about 1e-5 (the bound for CLIP maps is 1e-3); a wrong target, layer or reshape moves them by > 0.1.
        float diff = TestTensors.MaxAbsDiff(expected, result.Maps);
        Assert.True(diff < 1e-3f, $"{model} {method}: max abs diff {diff}");
        if (method == "decomcam")
        {
            var weights = NpyFile.Read(RepoPaths.Golden("clip", "cam", $"{model}_decomcam_weights.npy"));
            Assert.True(TestTensors.MaxAbsDiff(weights, result.Intermediate("weights")) < 1e-3f, "DecomCAM weights");
        }
    }
}
