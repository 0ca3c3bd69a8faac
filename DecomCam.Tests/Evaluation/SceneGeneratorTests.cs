using System.Security.Cryptography;
using System.Text.Json;
using DecomCamNet.Evaluation.Scenes;
using DecomCamNet.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.Tests.Evaluation;

public sealed class SceneGeneratorTests
{
    // SHA-256 of scenes 0..9 of seed 1 with default options (see HashScenes). A change means the generator no longer
    // produces the same bytes: on purpose (then update this and say so) or because something became platform-dependent.
    private const string PinnedSha256 = "52d599a0232d0e817da890a2c26948e19f0c80c01834d7ff37f5b20a14e1218b";

    private static readonly Lazy<Scene[]> Seed1Scenes = new(() => Enumerable.Range(0, 300).Select(new SceneGenerator(1).Generate).ToArray());

    [Fact]
    public void SameSeedAndIndex_GiveIdenticalBytesAndMasks_InAnyOrder()
    {
        var a = new SceneGenerator(7);
        var b = new SceneGenerator(7);
        var forward = new[] { 0, 1, 2, 5 }.Select(a.Generate).ToArray();
        var backward = new[] { 5, 2, 1, 0 }.Select(b.Generate).Reverse().ToArray();
        for (int i = 0; i < forward.Length; i++)
            AssertSameScene(forward[i], backward[i]);
    }

    [Fact]
    public void ParallelGeneration_MatchesSequential()
    {
        var gen = new SceneGenerator(3);
        var parallel = new Scene[8];
        Parallel.For(0, parallel.Length, i => parallel[i] = gen.Generate(i));
        for (int i = 0; i < parallel.Length; i++)
            AssertSameScene(gen.Generate(i), parallel[i]);
    }

    [Fact]
    public void Seed1Scenes0To9_MatchThePinnedHash()
    {
        string actual = HashScenes(Seed1Scenes.Value.Take(10));
        Assert.True(actual == PinnedSha256, $"SHA-256 of scenes 0..9 of seed 1 is {actual}, pinned {PinnedSha256}");
    }

    [Fact]
    public void DifferentSeedsAndIndices_GiveDifferentScenes()
    {
        var s1 = new SceneGenerator(1).Generate(0);
        var s2 = new SceneGenerator(2).Generate(0);
        var s1b = new SceneGenerator(1).Generate(1);
        Assert.False(s1.Rgb.SequenceEqual(s2.Rgb));
        Assert.False(s1.Rgb.SequenceEqual(s1b.Rgb));
        Assert.NotEqual(HashScenes(Seed1Scenes.Value.Take(10)), HashScenes(Enumerable.Range(0, 10).Select(new SceneGenerator(2).Generate)));
    }

    [Fact]
    public void Masks_AreNonEmpty_Disjoint_InsideTightBoxes_AndOcclusionIsBounded()
    {
        var options = SceneOptions.Default;
        foreach (var scene in Seed1Scenes.Value.Take(100))
        {
            Assert.Equal(options.Size, scene.Size);
            Assert.Equal(scene.Size * scene.Size * 3, scene.Rgb.Length);
            Assert.InRange(scene.Objects.Count, options.MinObjects, options.MaxObjects);
            var owner = new int[scene.Size * scene.Size];
            for (int k = 0; k < scene.Objects.Count; k++)
            {
                var o = scene.Objects[k];
                Assert.Equal(SceneShapes.Classes[o.ClassIndex], o.ClassName);
                Assert.Equal(owner.Length, o.Mask.Length);
                Assert.True(o.PixelCount >= 8, $"scene {scene.Index} object {k} has {o.PixelCount} visible pixels");
                Assert.True(o.PixelCount <= o.FullPixelCount);
                Assert.True(o.OccludedFraction <= options.MaxOcclusion + 1e-9, $"scene {scene.Index} object {k} is {o.OccludedFraction:P0} hidden");
                Assert.InRange(Math.Abs(o.Contrast), options.MinContrast, options.MaxContrast);
                var (x, y, w, h) = o.Box;
                int minX = int.MaxValue, maxX = -1, minY = int.MaxValue, maxY = -1;
                for (int p = 0; p < owner.Length; p++)
                {
                    if (!o.Mask[p])
                        continue;
                    Assert.True(owner[p] == 0, $"scene {scene.Index}: pixel {p} is in objects {owner[p] - 1} and {k}");
                    owner[p] = k + 1;
                    int px = p % scene.Size, py = p / scene.Size;
                    Assert.InRange(px, x, x + w - 1);
                    Assert.InRange(py, y, y + h - 1);
                    (minX, maxX, minY, maxY) = (Math.Min(minX, px), Math.Max(maxX, px), Math.Min(minY, py), Math.Max(maxY, py));
                }
                Assert.Equal((minX, minY, maxX - minX + 1, maxY - minY + 1), o.Box);
            }
            Assert.Equal(owner, scene.ObjectIndexMask().Select(v => (int)v));
        }
    }

    [Fact]
    public void ClassesOver300Scenes_CoverEveryClass_AndLabelsMatchObjects()
    {
        var counts = new int[SceneShapes.Classes.Count];
        var objectCounts = new int[4];
        foreach (var scene in Seed1Scenes.Value)
        {
            objectCounts[scene.Objects.Count]++;
            foreach (var o in scene.Objects)
                counts[o.ClassIndex]++;
            float[] labels = scene.LabelVector(SceneShapes.Classes.Count);
            for (int c = 0; c < labels.Length; c++)
            {
                bool present = scene.Objects.Any(o => o.ClassIndex == c);
                Assert.Equal(present ? 1f : 0f, labels[c]);
                bool[] union = scene.UnionMask(c);
                int expected = scene.Objects.Where(o => o.ClassIndex == c).Sum(o => o.PixelCount);
                Assert.Equal(expected, union.Count(v => v));
            }
        }
        Assert.All(counts, n => Assert.True(n >= 40, $"class counts {string.Join(", ", counts)}"));
        Assert.Equal(0, objectCounts[0]);
        Assert.All(objectCounts.Skip(1), n => Assert.True(n >= 60, $"object counts {string.Join(", ", objectCounts)}"));
        Assert.Equal(8, SceneShapes.Classes.Count);
        Assert.Equal(3, SceneShapes.IndexOf("Star"));
        Assert.Throws<ArgumentException>(() => SceneShapes.IndexOf("dog"));
    }

    [Fact]
    public void ToTensor_NormalisesLikeImageLoader()
    {
        var scene = Seed1Scenes.Value[0];
        using var tensor = scene.ToTensor();
        Assert.Equal(new long[] { 1, 3, 128, 128 }, tensor.shape);
        using var image = scene.ToImage();
        using var expected = ImageLoader.ToTensor(image);
        using (var same = tensor.eq(expected).all())
            Assert.True(same.item<bool>());
        int p = 37 * 128 + 91;
        using var element = tensor[0, 0, 37, 91];
        float r = element.item<float>();
        Assert.Equal((scene.Rgb[3 * p] / 255f - 0.485f) / 0.229f, r);
    }

    [Fact]
    public void Export_WritesPngsThatDecodeToTheSameBytes_AndAManifest_ThatLoadReads()
    {
        string folder = Path.Combine(Path.GetTempPath(), "decomcam-scenes-" + Guid.NewGuid().ToString("N"));
        try
        {
            var gen = new SceneGenerator(5, new SceneOptions(Size: 64));
            var reported = new List<int>();
            SceneExporter.Export(gen, 4, folder, new SyncProgress(reported.Add));
            Assert.Equal(new[] { 1, 2, 3, 4 }, reported);
            for (int i = 0; i < 4; i++)
            {
                var scene = gen.Generate(i);
                using var rgb = Image.Load<Rgb24>(Path.Combine(folder, $"scene_{i:00000}.png"));
                var bytes = new byte[64 * 64 * 3];
                rgb.CopyPixelDataTo(bytes);
                Assert.Equal(scene.Rgb, bytes);
                using var mask = Image.Load<L8>(Path.Combine(folder, $"scene_{i:00000}_mask.png"));
                var index = new byte[64 * 64];
                mask.CopyPixelDataTo(index);
                Assert.Equal(scene.ObjectIndexMask(), index);
            }

            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, SceneExporter.ManifestName)));
            var root = json.RootElement;
            Assert.Equal(5, root.GetProperty("seed").GetInt32());
            Assert.Equal(64, root.GetProperty("options").GetProperty("size").GetInt32());
            var scenes = root.GetProperty("scenes");
            Assert.Equal(4, scenes.GetArrayLength());
            var first = gen.Generate(0);
            var entry = scenes[0];
            Assert.Equal("scene_00000.png", entry.GetProperty("image").GetString());
            Assert.Equal("scene_00000_mask.png", entry.GetProperty("mask").GetString());
            var objects = entry.GetProperty("objects");
            Assert.Equal(first.Objects.Count, objects.GetArrayLength());
            for (int k = 0; k < first.Objects.Count; k++)
            {
                var o = first.Objects[k];
                Assert.Equal(o.ClassName, objects[k].GetProperty("className").GetString());
                Assert.Equal(k + 1, objects[k].GetProperty("maskValue").GetInt32());
                Assert.Equal(o.PixelCount, objects[k].GetProperty("pixels").GetInt32());
                Assert.Equal(new[] { o.Box.X, o.Box.Y, o.Box.W, o.Box.H }, objects[k].GetProperty("box").EnumerateArray().Select(e => e.GetInt32()));
            }

            var set = SceneExporter.Load(folder);
            Assert.Equal(5, set.Seed);
            Assert.Equal(gen.Options, set.Options);
            Assert.Equal(4, set.Scenes.Count);
            for (int i = 0; i < 4; i++)
                AssertSameScene(gen.Generate(i), set.Scenes[i]);
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("Size", 8, 1, 3, double.NaN, double.NaN)]
    [InlineData("MinObjects", 128, -1, 3, double.NaN, double.NaN)]
    [InlineData("MaxObjects", 128, 3, 2, double.NaN, double.NaN)]
    [InlineData("NoiseSigma", 128, 1, 3, double.NaN, double.NaN)]
    [InlineData("MaxObjectSize", 128, 1, 3, 0.1, double.NaN)]
    [InlineData("MinContrast", 128, 1, 3, 0.3, 0.5)]
    public void BadOptions_ThrowNamingTheOption(string option, int size, int min, int max, double a, double b)
    {
        SceneOptions options = option switch
        {
            "NoiseSigma" => new SceneOptions(NoiseSigma: -0.1),
            "MaxObjectSize" => new SceneOptions(MaxObjectSize: a),
            "MinContrast" => new SceneOptions(MinContrast: b),
            _ => new SceneOptions(Size: size, MinObjects: min, MaxObjects: max),
        };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SceneGenerator(1, options));
        Assert.Equal(option, ex.ParamName);
        Assert.Contains(option, ex.Message);
    }

    [Fact]
    public void OtherBadArguments_Throw()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SceneGenerator(1, new SceneOptions(MaxContrast: 0.05)));
        Assert.Equal("MaxContrast", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SceneGenerator(1, new SceneOptions(TextureAmplitude: double.NaN)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SceneGenerator(1).Generate(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Seed1Scenes.Value[0].LabelVector(2));
    }

    [Fact]
    public void Options_ChangeTheScenes_AsDocumented()
    {
        var plain = new SceneGenerator(9, new SceneOptions(Size: 48, MinObjects: 0, MaxObjects: 0, ClutterDensity: 0, NoiseSigma: 0,
            TextureAmplitude: 0, AntiAlias: false)).Generate(0);
        Assert.Empty(plain.Objects);
        Assert.Equal(new float[8], plain.LabelVector(8));
        Assert.Single(plain.Rgb.Chunk(3).Select(c => (c[0], c[1], c[2])).Distinct()); // one flat colour

        var crowded = new SceneGenerator(9, new SceneOptions(Size: 96, MinObjects: 5, MaxObjects: 5));
        for (int i = 0; i < 5; i++)
            Assert.InRange(crowded.Generate(i).Objects.Count, 4, 5); // an object that finds no place is left out
    }

    internal static string HashScenes(IEnumerable<Scene> scenes)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var scene in scenes)
        {
            sha.AppendData(scene.Rgb);
            foreach (var o in scene.Objects)
            {
                sha.AppendData([(byte)o.ClassIndex]);
                sha.AppendData(o.Mask.Select(v => v ? (byte)1 : (byte)0).ToArray());
            }
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    private static void AssertSameScene(Scene expected, Scene actual)
    {
        Assert.Equal(expected.Index, actual.Index);
        Assert.Equal(expected.Size, actual.Size);
        Assert.Equal(expected.Rgb, actual.Rgb);
        Assert.Equal(expected.Objects.Count, actual.Objects.Count);
        for (int k = 0; k < expected.Objects.Count; k++)
        {
            var (e, a) = (expected.Objects[k], actual.Objects[k]);
            Assert.Equal(e.ClassIndex, a.ClassIndex);
            Assert.Equal(e.ClassName, a.ClassName);
            Assert.Equal(e.Mask, a.Mask);
            Assert.Equal(e.Box, a.Box);
            Assert.Equal(e.FullPixelCount, a.FullPixelCount);
            Assert.Equal(e.CenterX, a.CenterX);
            Assert.Equal(e.RotationDegrees, a.RotationDegrees);
            Assert.Equal(e.Contrast, a.Contrast);
        }
    }

    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
