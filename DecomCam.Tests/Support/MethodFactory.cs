using static TorchSharp.torch;

namespace DecomCamNet.Tests.Support;

/// <summary>Every method by its CLI name, for tests that must hold for all of them.</summary>
internal static class MethodFactory
{
    public static readonly string[] Names = { "gradcam", "gradcam++", "xgradcam", "layercam", "hirescam", "eigencam", "scorecam", "unioncam", "decomcam" };

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var n in Names) data.Add(n);
        return data;
    }

    public static ICamMethod Create(string name, nn.Module<Tensor, Tensor> model, CamLayer layer, int batchSize = 32) => name switch
    {
        "gradcam" => new GradCam(model, layer),
        "gradcam++" => new GradCamPlusPlus(model, layer),
        "xgradcam" => new XGradCam(model, layer),
        "layercam" => new LayerCam(model, layer),
        "hirescam" => new HiResCam(model, layer),
        "eigencam" => new EigenCam(model, layer),
        "scorecam" => new ScoreCam(model, layer, new ScoreCamOptions(batchSize)),
        "unioncam" => new UnionCam(model, layer, new UnionCamOptions(BatchSize: batchSize)),
        "decomcam" => new DecomCam(model, layer, new DecomCamOptions(BatchSize: batchSize)),
        _ => throw new ArgumentException(name),
    };
}
