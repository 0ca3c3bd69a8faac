using DecomCamNet.Detection;
using DecomCamNet.Evaluation.Metrics;
using DecomCamNet.Evaluation.Scenes;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Evaluation;

/// <summary>
/// Per-box localisation on a generated scene: a map equal to the matched object's mask scores a hit and all its energy
/// inside the mask and the box; a box of a class the scene lacks matches nothing (NaN), and a uniform map puts the box's
/// share of the pixels inside it.
/// </summary>
public class BoxLocalisationTests
{
    [Fact]
    public void MapsOnTheirObjectScoreFullyAndUnmatchedBoxesAreNaN()
    {
        using var scope = NewDisposeScope();
        var scene = new SceneGenerator(3).Generate(7);
        int k = scene.Objects.ToList().FindIndex(o => o.PixelCount > 0);
        var o = scene.Objects[k];
        var truth = new BoundingBox(o.Box.X, o.Box.Y, o.Box.X + o.Box.W, o.Box.Y + o.Box.H);
        int absent = Enumerable.Range(0, SceneShapes.Classes.Count).First(c => scene.Objects.All(x => x.ClassIndex != c));
        var other = new BoundingBox(0, 0, 32, 16);
        var boxes = new[] { new ReferenceBox(truth, o.ClassIndex), new ReferenceBox(other, absent) };
        var objectMap = tensor(o.Mask.Select(b => b ? 1f : 0f).ToArray(), new long[] { scene.Size, scene.Size });
        var maps = stack(new[] { objectMap, ones(scene.Size, scene.Size) });

        using var r = BoxLocalisation.Evaluate(maps, scene, boxes);
        Assert.Equal(new[] { k, -1 }, r.MatchedObject);
        Assert.Equal(1f, r.Pointing.Hits[0].item<float>());
        Assert.True(float.IsNaN(r.Pointing.Hits[1].item<float>()));
        Assert.Equal(1.0, r.Pointing.Accuracy);
        Assert.Equal(1f, r.MaskEnergy[0].item<float>(), 6);
        Assert.True(float.IsNaN(r.MaskEnergy[1].item<float>()));
        Assert.Equal(1f, r.BoxEnergy[0].item<float>(), 6);
        Assert.Equal(32f * 16 / (scene.Size * scene.Size), r.BoxEnergy[1].item<float>(), 6);
    }

    [Fact]
    public void MapsOfAnotherSizeAreRefused()
    {
        var scene = new SceneGenerator(3).Generate(7);
        using var maps = zeros(1, 64, 64);
        var e = Assert.Throws<ArgumentException>(() => BoxLocalisation.Evaluate(maps, scene, new[] { new ReferenceBox(new BoundingBox(0, 0, 4, 4), 0) }));
        Assert.Contains("need maps [1,128,128]", e.Message);
    }
}
