using System.Diagnostics;
using System.Globalization;
using DecomCamNet.Batches;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// Images per second on a folder of generated 224-px PNGs: a hand-written loop (load, explain, write the map and the
/// overlay, one image at a time) against <see cref="ImageSetRun"/>, the pipeline <c>decomcam explain --input DIR</c> runs
/// (decoder threads, bounded queues, batches of 8, an output thread), and the share of time the pipeline's model waited for
/// input (in all and after the first batch) and for the output thread. ResNet-18 with random weights (seed 0), layer4, each image's top class, the command line's
/// preprocessing (resize 256, centre crop 224) and outputs (map <c>.npy</c> and overlay PNG).
/// Usage: <c>image-sets [IMAGES] [METHODS] [DIR]</c>; defaults 1000, <c>gradcam,decomcam</c>, a temporary folder.
/// </summary>
internal static class ImageSetThroughput
{
    public static void Run(string[] args)
    {
        int count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        var methods = (args.Length > 1 ? args[1] : "gradcam,decomcam").Split(',');
        string root = args.Length > 2 ? args[2] : Directory.CreateTempSubdirectory("decomcam-throughput-").FullName;
        string images = Generate(Path.Combine(root, "images"), count);
        var inputs = ImageSetInput.Resolve(images).Take(count).ToList(); // a folder made for a larger run holds more
        manual_seed(0);
        using var model = ModelZoo.Create("resnet18");
        model.eval();
        var preprocessing = ImagePreprocessing.ImageNet;
        Console.WriteLine($"{count} images of 224x224 in {images}; {get_num_threads()} torch threads, {Environment.ProcessorCount} cores");
        Console.WriteLine("| method | images | loop (images/s) | pipeline (images/s) | speed-up | model waiting for input | after the first batch | model waiting for the writer |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var name in methods)
        {
            using var method = CamMethods.Create(name, model, new CamLayer[] { "layer4" });
            double loop = Loop(method, inputs, preprocessing, Fresh(root, name + "-loop"));
            var clock = Stopwatch.StartNew();
            var summary = new ImageSetRun(method, preprocessing, CPU, Fresh(root, name + "-pipeline"), new ImageSetOptions { Model = "resnet18" })
                .Run(inputs, ShardSpec.All, resume: false);
            double pipeline = count / clock.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {count} | {loop:F1} | {pipeline:F1} | {pipeline / loop:F2}x | {100 * summary.WaitShare:F1}% | {100 * summary.SteadyWaitShare:F1}% | {100 * summary.WriterWaitShare:F1}% |"));
        }
    }

    /// <summary>The loop a user writes by hand: each image loaded, explained and written before the next is read.</summary>
    private static double Loop(ICamMethod method, IReadOnlyList<string> inputs, ImagePreprocessing preprocessing, string outDir)
    {
        var clock = Stopwatch.StartNew();
        foreach (var path in inputs)
        {
            using var scope = NewDisposeScope();
            using var picture = ImageLoader.LoadRgb(path, preprocessing);
            using var result = method.Explain(ImageLoader.ToTensor(picture, preprocessing));
            var map = result.Maps[0].cpu();
            string stem = Path.Combine(outDir, Path.GetFileNameWithoutExtension(path));
            NpyFile.Write(stem + ".npy", map);
            CamImageWriter.SaveOverlay(picture, map, stem + ".png");
        }
        return inputs.Count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// <paramref name="count"/> 224-px PNGs, the same bytes on every machine (seeded): a two-colour gradient, a disc and a
    /// bar, and ±8 levels of noise, so that they compress and decode like photographs rather than like pure noise.
    /// </summary>
    private static string Generate(string dir, int count)
    {
        Directory.CreateDirectory(dir);
        const int side = 224;
        for (int i = 0; i < count; i++)
        {
            string path = Path.Combine(dir, $"img{i:D5}.png");
            if (File.Exists(path)) continue;
            var random = new Random(i);
            var colours = Enumerable.Range(0, 9).Select(_ => random.Next(256)).ToArray();
            int cx = random.Next(side), cy = random.Next(side), radius = 20 + random.Next(60), bar = random.Next(side - 40);
            var pixels = new byte[side * side * 3];
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++)
                    for (int c = 0; c < 3; c++)
                    {
                        bool disc = (x - cx) * (x - cx) + (y - cy) * (y - cy) < radius * radius;
                        int value = disc ? colours[6 + c] : y >= bar && y < bar + 40 ? 255 - colours[c]
                            : (colours[c] * (side - x) + colours[3 + c] * x) / side;
                        pixels[(y * side + x) * 3 + c] = (byte)Math.Clamp(value + random.Next(-8, 9), 0, 255);
                    }
            using var image = Image.LoadPixelData<Rgb24>(pixels, side, side);
            image.SaveAsPng(path);
        }
        return dir;
    }

    private static string Fresh(string root, string name)
    {
        string dir = Path.Combine(root, name);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        return Directory.CreateDirectory(dir).FullName;
    }
}
