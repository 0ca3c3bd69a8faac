using System.Diagnostics;
using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>
/// <see cref="TransformerParityTests"/> at full size: the zoo's <c>vit-b-16</c> and <c>swin-t</c> loaded with the seeded
/// random torchvision weights that <c>reference/vit_pgc_full_reference.py</c> saves (about 0.45 GB, not committed) against
/// pytorch-grad-cam's Grad-CAM, Grad-CAM++ and Eigen-CAM (and Score-CAM, batch 32, on Swin) on the same layers (the ViT's last
/// <c>ln_1</c>, class token dropped, 14x14 grid; Swin's last stage permuted, 7x7), one seeded 224x224 input, target 3.
/// Raw maps and min-max normalised final maps must have r ≥ 0.999; the max abs diff allowed is 1e-3 of the larger map's
/// peak (the raw maps' scale runs from 1e-4 to 10 across methods). Run with <c>dotnet test --filter Category=Heavy</c>
/// after the script; a missing file fails with the command that makes it. The ViT's Score-CAM is compared on the reduced
/// model only: pytorch-grad-cam's Score-CAM on the full ViT (768 masked passes) took 88 s per batch of 32 on two busy
/// cores, about 35 minutes.
/// </summary>
[Trait("Category", "Heavy")]
public class TransformerFullSizeParityTests(ITestOutputHelper output)
{
    private const int Target = 3;
    private const string Command = "PYTHONPATH=/tmp/anchors/pytorch-grad-cam /usr/bin/python3 reference/vit_pgc_full_reference.py out/vit-full";

    private static string Folder =>
        Environment.GetEnvironmentVariable("DECOMCAM_VIT_FULL") ?? Path.Combine(RepoPaths.Root, "out", "vit-full");

    private static string FilePath(string name)
    {
        var path = Path.Combine(Folder, name);
        Assert.True(File.Exists(path), $"{path} is missing: run {Command}");
        return path;
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in new[] { "vit", "swin" })
            foreach (var method in new[] { "gradcam", "gradcam++", "eigencam" })
                data.Add(model, method);
        data.Add("vit", "scorecam");
        data.Add("swin", "scorecam");
        return data;
    }

    [HeavyTheory]
    [MemberData(nameof(Cases))]
    public void FullSizeMapsMatchPytorchGradCam(string model, string method)
    {
        using var scope = NewDisposeScope();
        string file = $"pgc_{model}_{method.Replace("++", "pp")}";
        var theirRaw = NpyFile.Read(FilePath(file + "_raw.npy"));
        var theirs = NpyFile.Read(FilePath(file + ".npy"));
        string zooName = model == "vit" ? "vit-b-16" : "swin-t";
        using var net = ModelZoo.Create(zooName);
        var loaded = StateDictLoader.Load(net, FilePath(model + ".pth"));
        Assert.Empty(loaded.MissingKeys);
        net.eval();
        var layer = ((CamLayer)ModelZoo.DefaultLayer(zooName)).WithReshape(ModelZoo.DefaultReshape(zooName));
        var input = NpyFile.Read(FilePath("input.npy"));
        var watch = Stopwatch.StartNew();
        using var cam = CamMethods.Create(method, net, [layer], new CamMethodSettings { BatchSize = 32 });
        using var result = cam.Explain(input, new[] { Target });
        output.WriteLine($"{zooName} {method}: {watch.Elapsed.TotalSeconds:F1} s");
        if (method == "eigencam")
            (theirRaw, theirs) = TransformerParityTests.UnderOurSign(theirRaw, theirs);
        var raw = result.RawMaps[0];
        double scale = Math.Max(raw.abs().max().item<float>(), theirRaw.abs().max().item<float>());
        TransformerParityTests.Compare(output, $"{model} {method} raw", raw, theirRaw, 1e-3 * scale);
        TransformerParityTests.Compare(output, $"{model} {method} final (min-max)",
            TransformerParityTests.MinMax(result.Maps), TransformerParityTests.MinMax(theirs), 1e-3);
    }

    /// <summary>A theory that is skipped, with the command to run, where the prepared folder does not exist.</summary>
    private sealed class HeavyTheoryAttribute : TheoryAttribute
    {
        public HeavyTheoryAttribute()
        {
            if (!Directory.Exists(Folder))
                Skip = $"{Folder} does not exist: {Command}";
        }
    }
}
