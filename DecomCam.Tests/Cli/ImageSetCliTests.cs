using System.Globalization;
using System.Diagnostics;
using DecomCamNet.Batches;
using DecomCamNet.Imaging;
using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Cli;

public sealed class ImageSetCliTests : CliRun
{
    private string Images(int count) => TestImages.RandomPngs(P("images"), count);

    [Fact]
    public void AFolderWithACorruptImageGivesOneRowPerImageAndResumeSkipsThemAll()
    {
        string dir = Images(5);
        File.WriteAllBytes(Path.Combine(dir, "corrupt.png"), File.ReadAllBytes(Path.Combine(dir, "img000.png"))[..60]);
        // --no-resize: images of two sizes (the bundled model would resize both to 128 px), explained in batches of one size
        var (code, output, err) = Run("explain", "--input", dir, "--out", P("out"), "--images-per-batch", "2", "--method", "decomcam", "--decom-q", "3", "--save-ossms", "--no-resize");
        Assert.True(code == 101, $"{code}: {output}{err}"); // 100 + one failed image
        Assert.Contains("explained 5, failed 1", output);

        var rows = Manifest.Read(P("out/manifest.jsonl"));
        Assert.Equal(6, rows.Count);
        var bad = Assert.Single(rows, r => r.Error is not null);
        Assert.EndsWith("corrupt.png", bad.Input);
        Assert.Contains("truncated", bad.Error);
        foreach (var row in rows.Where(r => r.Error is null))
        {
            Assert.Equal(("scenenet", "decomcam", "block4"), (row.Model, row.Method, row.Layer));
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(row.Input))), row.Sha256);
            Assert.Equal(4, row.Outputs.Count); // map, overlay, OSSMs, their grid
            Assert.EndsWith("_ossm.png", row.Outputs[3]);
            Assert.Equal(3, row.OssmWeights!.Count);
            using var map = NpyFile.Read(Path.Combine(P("out"), row.Outputs[0]));
            int size = row.Input.EndsWith("0.png") || row.Input.EndsWith("2.png") || row.Input.EndsWith("4.png") ? 48 : 64;
            Assert.Equal(new long[] { size, size }, map.shape);
            using var ossm = NpyFile.Read(Path.Combine(P("out"), row.Outputs[2]));
            Assert.Equal(new long[] { 3, size, size }, ossm.shape);
            using var grid = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(Path.Combine(P("out"), row.Outputs[3]));
            Assert.Equal(3 * size + 2 * 2, grid.Width); // three panels side by side, 2-px gutters
            Assert.True(grid.Height > size, $"{grid.Height}: no label strip under the panels");
        }
        Assert.Empty(Directory.EnumerateFiles(P("out"), "*.tmp"));

        var again = Run("explain", "--input", dir, "--out", P("out"));
        Assert.Equal(2, again.Code);
        Assert.Contains("--resume", again.Err);
        // A resume skips the explained images and retries the failed one, which fails again: a second row for it.
        var resumed = Run("explain", "--input", dir, "--out", P("out"), "--resume", "--images-per-batch", "2", "--method", "decomcam", "--decom-q", "3", "--save-ossms", "--no-resize");
        Assert.True(resumed.Code == 101, resumed.Err);
        Assert.Contains("explained 0, failed 1, skipped 5", resumed.Out);
        var afterResume = Manifest.Read(P("out/manifest.jsonl"));
        Assert.Equal(7, afterResume.Count);
        Assert.EndsWith("corrupt.png", afterResume[^1].Input);
        Assert.Equal(6, Manifest.Latest(afterResume).Count);
    }

    [Fact]
    public void AResumeRetriesAFailedImageOnceFixedAndMergeKeepsItsLatestRow()
    {
        string dir = Images(4);
        string broken = Path.Combine(dir, "img001.png");
        var good = File.ReadAllBytes(broken);
        File.WriteAllBytes(broken, good[..60]); // unreadable for now: cut short
        string[] Shard(int i) => ["explain", "--input", dir, "--out", P("out"), "--shard", $"{i}/2", "--no-overlay", "--no-resize"];
        Assert.Equal(101, Run(Shard(1)).Code); // positions 1 and 3: img001 (broken) and img003
        Assert.Equal(0, Run(Shard(0)).Code);
        Assert.Contains("truncated", Assert.Single(Manifest.Read(P("out/manifest.shard-1-of-2.jsonl")), r => r.Input == broken).Error);

        File.WriteAllBytes(broken, good); // fixed
        var (code, output, err) = Run([.. Shard(1), "--resume"]);
        Assert.True(code == 0, err);
        Assert.Contains("explained 1, failed 0, skipped 1", output);
        var rows = Manifest.Read(P("out/manifest.shard-1-of-2.jsonl")).Where(r => r.Input == broken).ToList();
        Assert.Equal(2, rows.Count); // the failure, then the success: the latest row is the outcome
        Assert.NotNull(rows[0].Error);
        Assert.Null(rows[1].Error);
        using (var map = NpyFile.Read(Path.Combine(P("out"), Assert.Single(rows[1].Outputs))))
            Assert.Equal(new long[] { 64, 64 }, map.shape);

        var merged = Run("merge", P("out"));
        Assert.True(merged.Code == 0, merged.Err);
        Assert.Contains("merged 4 images (0 failed)", merged.Out);
        var all = Manifest.Read(P("out/manifest.jsonl"));
        Assert.Equal(Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal), all.Select(r => r.Input));
        Assert.Null(Assert.Single(all, r => r.Input == broken).Error);
    }

    [Fact]
    public void EachMethodOptionLandsInItsSettingAndAbsentOnesKeepTheMethodsDefaults()
    {
        string dir = Images(1);
        var run = Run("explain", "--input", dir, "--out", P("out"), "--no-overlay", "--method", "GradCAMpp", "--decom-p", "7",
            "--decom-mode", "official", "--seed", "5", "--fem-k", "1.5", "--finer-alpha", "0.25", "--concepts", "3", "--classifier", "fc");
        Assert.True(run.Code == 0, run.Err);
        var settings = ShardPlan.Read(P("out/plan.json")).Settings!;
        var expected = new Dictionary<string, string>
        {
            ["method"] = "gradcam++", // the alias, resolved once by the library
            ["method DecomCam.P"] = "7", ["method DecomCam.Q"] = new DecomCamOptions().Q.ToString(CultureInfo.InvariantCulture),
            ["method DecomCam.Integration"] = "Official", ["method Seed"] = "5", ["method Fem.K"] = "1.5",
            ["method FinerCam.Alpha"] = "0.25", ["method FinerCam.Comparisons"] = "3", ["method Dff.Concepts"] = "3",
            ["method Classifier"] = "fc", ["method Samples"] = "default", ["method NoiseStd"] = "default",
            ["method UnionCam.Theta"] = "10", ["method KpcaCam.Kernel"] = "Sigmoid", ["method RefineBase"] = "gradcam++",
            ["method AugSmooth"] = "false", ["method EigenSmooth"] = "false",
        };
        foreach (var (key, value) in expected) Assert.True(settings.TryGetValue(key, out var got) && got == value, $"{key}: {got ?? "missing"}, expected {value}");
        Assert.DoesNotContain(settings.Keys, k => k.EndsWith("BatchSize", StringComparison.Ordinal) || k.EndsWith("MaskedLayout", StringComparison.Ordinal));
    }

    [Fact]
    public void AResumeWithOtherSettingsIsRefusedNamingEachDifference()
    {
        string dir = Images(2);
        string[] first = ["explain", "--input", dir, "--out", P("out"), "--no-overlay", "--method", "decomcam", "--decom-q", "2"];
        Assert.Equal(0, Run(first).Code);
        var settings = ShardPlan.Read(P("out/plan.json")).Settings!;
        Assert.Equal(("decomcam", "2", "float32", "scenenet"), (settings["method"], settings["method DecomCam.Q"], settings["map dtype"], settings["model"]));
        Assert.Equal(ContentHash.OfFile(Path.Combine(AppContext.BaseDirectory, "assets", "scenenet.safetensors")), settings["weights sha256"]);

        var same = Run([.. first, "--resume", "--images-per-batch", "1"]); // batching is speed alone: not a setting
        Assert.True(same.Code == 0, same.Err);
        Assert.Contains("skipped 2", same.Out);

        var gradcam = Run("explain", "--input", dir, "--out", P("out"), "--no-overlay", "--method", "gradcam", "--decom-q", "2", "--resume");
        Assert.Equal(2, gradcam.Code);
        Assert.Contains("method: decomcam (recorded) vs gradcam (now)", gradcam.Err);
        var several = Run("explain", "--input", dir, "--out", P("out"), "--method", "decomcam", "--decom-q", "3", "--map-dtype", "float16", "--resume");
        Assert.Equal(2, several.Code);
        foreach (var difference in new[] { "method DecomCam.Q: 2 (recorded) vs 3 (now)", "map dtype: float32 (recorded) vs float16 (now)",
            "outputs: map (recorded) vs map, overlay (alpha 0.5) (now)" })
            Assert.Contains(difference, several.Err);
        Assert.Equal(2, Manifest.Read(P("out/manifest.jsonl")).Count); // nothing appended
        Assert.Equal(settings, ShardPlan.Read(P("out/plan.json")).Settings); // the record stands
    }

    [Fact]
    public void MissingOrUnreadableInputsAreUsageErrors()
    {
        File.WriteAllBytes(P("cut.png"), File.ReadAllBytes(Path.Combine(Images(1), "img000.png"))[..60]);
        File.WriteAllLines(P("list.txt"), ["images/img000.png", "images/absent.png"]);
        foreach (var args in new[]
        {
            new[] { "explain", "--input", P("absent.png") },
            ["explain", "--input", P("absent.npy")],
            ["explain", "--input", P("absent"), "--out", P("out")],
            ["explain", "--input", P("cut.png")],
            ["explain", "--input", P("absent/*.png"), "--out", P("out")],
            ["explain", "--input", P("list.txt"), "--out", P("out")],
        })
        {
            var (code, _, err) = Run(args);
            Assert.True(code == 2, $"{string.Join(" ", args)}: exit {code}, {err}");
            Assert.StartsWith("error: ", err);
            Assert.Contains(args[2].Contains("list") ? "absent.png" : Path.GetFileName(args[2]), err);
        }
    }

    [Fact]
    public void ShardsOfAListMergeIntoOneManifest()
    {
        string dir = Images(7);
        File.WriteAllLines(P("list.txt"), Directory.EnumerateFiles(dir).Select(f => Path.GetRelativePath(Folder, f)));
        for (int i = 0; i < 3; i++)
        {
            var (code, _, err) = Run("explain", "--input", P("list.txt"), "--out", P("out"), "--shard", $"{i}/3", "--no-overlay");
            Assert.True(code == 0, err);
        }
        var (mergeCode, mergeOut, mergeErr) = Run("merge", P("out"));
        Assert.True(mergeCode == 0, mergeErr);
        Assert.Contains("merged 7 images", mergeOut);
        Assert.Equal(Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal), Manifest.Read(P("out/manifest.jsonl")).Select(r => r.Input));
        Assert.Empty(Directory.EnumerateFiles(P("out"), "*.png"));

        File.Delete(P("out/manifest.shard-1-of-3.jsonl"));
        var broken = Run("merge", P("out"));
        Assert.Equal(2, broken.Code);
        Assert.Contains("missing from the manifests", broken.Err);
    }

    [Fact]
    public void MergeOfFoldersWithoutShardPlansSaysWhereShardsComeFrom()
    {
        Directory.CreateDirectory(P("empty"));
        var (code, _, err) = Run("merge", P("empty"));
        Assert.Equal(2, code);
        Assert.Contains($"No shard plans (plan.shard-*.json) in {P("empty")}: these are not the output folders of a sharded image-set run. " +
            "Shards are written by decomcam explain --out DIR --shard i/n; those of evaluate --shard merge with merge --evaluation.", err);
    }

    [Fact]
    public void ShardsByContentHashMergeIntoOneManifest()
    {
        string dir = Images(9);
        for (int i = 0; i < 3; i++)
        {
            var (code, output, err) = Run("explain", "--input", dir, "--out", P("out"), "--shard", $"{i}/3", "--shard-by", "hash", "--no-overlay");
            Assert.True(code == 0, err);
            Assert.Contains($"shard {i}/3 (by content hash) of 9 images", output);
            var rows = Manifest.Read(P($"out/manifest.shard-{i}-of-3.jsonl"));
            Assert.All(rows, r => Assert.Equal(i, ShardSpec.HashShard(r.Sha256, 3)));
            Assert.Equal(ShardPlan.ByHash, ShardPlan.Read(P($"out/plan.shard-{i}-of-3.json")).By);
        }
        var (mergeCode, mergeOut, mergeErr) = Run("merge", P("out"));
        Assert.True(mergeCode == 0, mergeErr);
        Assert.Contains("merged 9 images", mergeOut);
        Assert.Equal(Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal), Manifest.Read(P("out/manifest.jsonl")).Select(r => r.Input));
    }

    [Fact]
    public void Float16MapsTakeHalfTheBytesWithinHalfPrecisionOfFloat32()
    {
        string dir = TestImages.RandomPngs(P("images"), 3, size: 48);
        foreach (var (dtype, folder) in new[] { ("float32", "f4"), ("float16", "f2") })
        {
            var (code, _, err) = Run("explain", "--input", dir, "--out", P(folder), "--map-dtype", dtype, "--no-overlay", "--method", "decomcam", "--decom-q", "2", "--save-ossms");
            Assert.True(code == 0, err);
        }
        var singles = Manifest.Read(P("f4/manifest.jsonl"));
        var halves = Manifest.Read(P("f2/manifest.jsonl"));
        Assert.Equal(singles.SelectMany(r => r.Outputs), halves.SelectMany(r => r.Outputs));
        foreach (var output in singles.SelectMany(r => r.Outputs))
        {
            using var single = NpyFile.Read(Path.Combine(P("f4"), output));
            using var half = NpyFile.Read(Path.Combine(P("f2"), output));
            Assert.Equal(128 + 2 * single.numel(), new FileInfo(Path.Combine(P("f2"), output)).Length); // a 128-byte header, 2 bytes a value
            Assert.Equal(128 + 4 * single.numel(), new FileInfo(Path.Combine(P("f4"), output)).Length);
            Assert.Contains("'descr': '<f2'", File.ReadAllText(Path.Combine(P("f2"), output))[..128]);
            // Rounding to half moves a value by at most 2^-11 of it (2^-12 near 1 for maps in [0,1]); 1e-5 more for the two runs' float32 jitter.
            using var error = (single - half).abs() - single.abs() / 2048;
            Assert.True(error.max().item<float>() <= 1e-5f, output);
            if (!output.EndsWith("_ossm.npy")) Assert.InRange(TestTensors.MaxAbsDiff(single, half), 0, 1f / 4096 + 1e-5f);
            Assert.True(TestTensors.MaxAbsDiff(single, half) > 0, output); // it was rounded
        }
        Assert.Contains("--map-dtype takes 'float32' or 'float16'", Run("explain", "--input", dir, "--out", P("x"), "--map-dtype", "f8").Err);
    }

    [Fact]
    public void SetsTakeSoftmaxSigmoidAndSummedTargets()
    {
        string dir = TestImages.RandomPngs(P("images"), 2, size: 48);
        ManifestRow[] Explain(string name, params string[] target)
        {
            var (code, _, err) = Run(new[] { "explain", "--input", dir, "--out", P(name), "--no-overlay" }.Concat(target).ToArray());
            Assert.True(code == 0, err);
            return Manifest.Read(P($"{name}/manifest.jsonl")).OrderBy(r => r.Input, StringComparer.Ordinal).ToArray();
        }
        var one = Explain("one", "--target", "1");
        var three = Explain("three", "--target", "3");
        var sum = Explain("sum", "--target", "1,3", "--sum-targets");
        var softmax = Explain("softmax", "--target", "1", "--score", "softmax");
        var sigmoid = Explain("sigmoid", "--target", "3", "--score", "sigmoid");
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(("class 1", 1L), (one[i].Target, one[i].Class));
            Assert.Equal(("sum of classes [1,3]", (long?)null), (sum[i].Target, sum[i].Class));
            Assert.Equal(one[i].Score!.Value + three[i].Score!.Value, sum[i].Score!.Value, 1e-4f); // the sum of the two logits
            Assert.Equal(("softmax of class 1", 1L), (softmax[i].Target, softmax[i].Class));
            Assert.InRange(softmax[i].Score!.Value, 0f, 1f);
            Assert.Equal(("sigmoid of class 3", 3L), (sigmoid[i].Target, sigmoid[i].Class));
            Assert.Equal(1 / (1 + MathF.Exp(-three[i].Score!.Value)), sigmoid[i].Score!.Value, 1e-5f);
        }
        Assert.Contains("several with --sum-targets", Run("explain", "--input", dir, "--out", P("x"), "--target", "1,3").Err);
    }

    [Fact]
    public void SetOptionsNeedAnImageSet()
    {
        Assert.Contains("--resume goes with an image set", Run("explain", "--resume").Err);
        Assert.Contains("Option --shard", Run("explain", "--input", P("x"), "--out", P("o"), "--shard", "3/3").Err);
        Assert.Contains("--shard-by goes with --shard i/n", Run("explain", "--input", P("x"), "--out", P("o"), "--shard-by", "hash").Err);
        Assert.Contains("--shard-by takes 'position' or 'hash'", Run("explain", "--input", P("x"), "--out", P("o"), "--shard", "0/2", "--shard-by", "name").Err);
        Directory.CreateDirectory(P("empty"));
        Assert.Contains("No evaluation shards", Run("merge", "--evaluation", P("empty")).Err);
        Assert.Contains("merge --evaluation", Run("merge", P("empty")).Err);
        Images(1);
        Assert.Contains("give --out DIR", Run("explain", "--input", P("images")).Err);
    }
}

/// <summary>
/// Kills a run mid-way and resumes it. Alone, because its timing is the point: with other tests competing for the
/// CPUs, the poll that sees the first rows may not run until the child has finished.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KilledRunCollection
{
    public const string Name = "processes killed mid-run";
}

[Collection(KilledRunCollection.Name)]
public sealed class KilledRunTests : CliRun
{
    [Fact]
    public void AKilledRunResumesWithoutLosingOrDuplicatingImages()
    {
        string dir = TestImages.RandomPngs(P("images"), 12, size: 64);
        string dll = Path.Combine(AppContext.BaseDirectory, "decomcam.dll");
        string manifest = P("out/manifest.jsonl");
        string args = $"\"{dll}\" explain --input \"{dir}\" --out \"{P("out")}\" --images-per-batch 1 --threads 1 --method scorecam --resize 192"; // ~0.5 s an image
        var info = new ProcessStartInfo("dotnet", args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using (var process = Process.Start(info)!)
        {
            var clock = Stopwatch.StartNew();
            while (RowsIn(manifest) < 2 && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(10);
            if (process.HasExited) Assert.Fail("the run ended before it could be killed: " + process.StandardError.ReadToEnd());
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        int before = Manifest.Read(manifest).Count;
        Assert.InRange(before, 2, 11);
        File.AppendAllText(manifest, "{\"input\":\"" + dir); // as if the kill had cut a row short

        var (code, output) = ProcessRunner.Run("dotnet", args + " --resume", Folder, TimeSpan.FromMinutes(3));
        Assert.True(code == 0, output);
        Assert.Contains($"skipped {before}", output);
        var rows = Manifest.Read(manifest);
        Assert.Equal(Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal), rows.Select(r => r.Input).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Null(r.Error));
        Assert.All(rows.SelectMany(r => r.Outputs), o => Assert.True(File.Exists(Path.Combine(P("out"), o)), o));
    }

    private static int RowsIn(string manifest)
    {
        if (!File.Exists(manifest)) return 0;
        using var stream = new FileStream(manifest, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        int rows = 0;
        for (int b; (b = stream.ReadByte()) >= 0;) if (b == '\n') rows++;
        return rows;
    }
}
