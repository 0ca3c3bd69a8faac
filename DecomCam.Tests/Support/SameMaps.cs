using static TorchSharp.torch;

namespace DecomCamNet.Tests.Support;

/// <summary>
/// The check every "an export explains like the zoo model" test makes: both methods explain the reduced ViT's two-image
/// input for classes 3 and 7, the expected maps are not flat, and the final maps (and, when asked, each raw map) agree
/// within 1e-4.
/// </summary>
internal static class SameMaps
{
    /// <summary>The reduced seeded ViTs' input, [2,3,32,32].</summary>
    public static Tensor VitInput() => DecomCamNet.Imaging.NpyFile.Read(RepoPaths.Golden("vit", "vit_input.npy"));

    public static void AssertEqual(ICamMethod expectedCam, ICamMethod actualCam, Tensor x, string what, bool rawMaps)
    {
        using var expected = expectedCam.Explain(x, new[] { 3, 7 });
        using var actual = actualCam.Explain(x, new[] { 3, 7 });
        Assert.Equal(new long[] { 2, 32, 32 }, actual.Maps.shape);
        Assert.True(expected.Maps.std().item<float>() > 1e-2f, "the zoo ViT's maps are flat");
        if (rawMaps)
        {
            Assert.Equal(expected.RawMaps.Count, actual.RawMaps.Count);
            for (int l = 0; l < expected.RawMaps.Count; l++)
                Assert.True(TestTensors.MaxAbsDiff(actual.RawMaps[l], expected.RawMaps[l]) < 1e-4f,
                    $"{what} layer {l}: max |raw difference| {TestTensors.MaxAbsDiff(actual.RawMaps[l], expected.RawMaps[l]):g3}");
        }
        Assert.True(TestTensors.MaxAbsDiff(actual.Maps, expected.Maps) < 1e-4f, $"{what}: max |map difference| {TestTensors.MaxAbsDiff(actual.Maps, expected.Maps):g3}");
    }
}
