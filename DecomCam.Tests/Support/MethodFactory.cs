using static TorchSharp.torch;

namespace DecomCamNet.Tests.Support;

/// <summary>Every method by its CLI name, for tests that must hold for all of them.</summary>
internal static class MethodFactory
{
    /// <summary>Every method that runs on a CNN's target layers (all but <see cref="CamMethods.AttentionMethods"/>).</summary>
    public static TheoryData<string> All() => AllBut();

    /// <summary>Every method that runs on a CNN's target layers but <paramref name="excluded"/>.</summary>
    public static TheoryData<string> AllBut(params string[] excluded)
    {
        var data = new TheoryData<string>();
        foreach (var n in CamMethods.Names.Except(CamMethods.AttentionMethods).Except(excluded)) data.Add(n);
        return data;
    }

    /// <summary>The methods that read a transformer's attention probabilities.</summary>
    public static TheoryData<string> Attention()
    {
        var data = new TheoryData<string>();
        foreach (var n in CamMethods.AttentionMethods) data.Add(n);
        return data;
    }

    /// <summary>The methods whose random draws follow the rows' positions in a call (seeded per row or item).</summary>
    public static readonly string[] SeededByPosition = { "randomcam", "smoothgradcam++", "sscam" };

    public static ICamMethod Create(string name, nn.Module<Tensor, Tensor> model, CamLayer layer, int batchSize = 32) =>
        CamMethods.Create(name, model, new[] { layer }, new CamMethodSettings { BatchSize = batchSize });
}
