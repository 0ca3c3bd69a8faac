using System.Globalization;
using System.Text.Json;
using DecomCamNet.Evaluation.Scenes;
using DecomCamNet.Evaluation.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace DecomCamNet.Cli;

/// <summary>
/// <c>decomcam train-demo</c>: trains a bundled demo model (<see cref="Models.SceneNet"/> or, <c>--arch vit</c>, the scene
/// ViT, on generated scenes, see <see cref="DemoTrainer"/>) and writes its weights as safetensors, its class names beside them (<c>.labels.txt</c>)
/// and the held-out report (<c>.json</c>).
/// </summary>
internal sealed class TrainDemoCommand(TrainDemoOptions options, TextWriter stdout, TextWriter stderr)
{
    public int Run()
    {
        string outPath = options.Out ?? options.ModelName + ".safetensors";
        if (!outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new CliException($"--out must name a .safetensors file; got '{outPath}'.");
        string? folder = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (folder is not null && !Directory.Exists(folder)) throw new CliException($"The folder of --out ('{folder}') does not exist.");
        var device = ExplainCommand.ParseDevice(options.Device);
        set_num_threads(options.Threads ?? Math.Max(1, Environment.ProcessorCount));
        var settings = options.Settings();
        try
        {
            settings.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new CliException(e.Message.Split(Environment.NewLine)[0]);
        }

        var progress = options.Verbosity.Progress(stderr);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (model, report) = DemoTrainer.Train(settings, device, new SynchronousProgress<DemoTrainingProgress>(p => progress.Report(
            new CamProgress(string.Create(CultureInfo.InvariantCulture, $"training {p.Loss:F3}"), p.Step, p.Steps))));
        progress.Finish();
        using (model)
        {
            model.to(CPU).save_safetensors(outPath);
        }
        string stem = outPath[..^".safetensors".Length];
        File.WriteAllLines(stem + ".labels.txt", SceneShapes.Classes);
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(new
        {
            command = string.Create(CultureInfo.InvariantCulture, $"decomcam train-demo --arch {(settings.Architecture == DemoArchitecture.Vit ? "vit" : "scenenet")} --seed {settings.Seed} --steps {settings.Steps} --batch-size {settings.BatchSize} --lr {settings.MaxLearningRate} --device {options.Device}"),
            threads = get_num_threads(),
            seconds = Math.Round(clock.Elapsed.TotalSeconds),
            held_out = report,
            classes = SceneShapes.Classes,
        }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained {options.ModelName} in {clock.Elapsed.TotalMinutes:F1} min: held-out ({report.Scenes} scenes) top-class accuracy {report.TopClassAccuracy:P1}, exact label set {report.ExactMatch:P1}, per-label {report.LabelAccuracy:P1}"));
        for (int c = 0; c < SceneShapes.Classes.Count; c++)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {SceneShapes.Classes[c],-9} recall {report.ClassRecall[c]:P1}  precision {report.ClassPrecision[c]:P1}"));
        stdout.WriteLine($"wrote {outPath}, {stem}.labels.txt and {stem}.json");
        return 0;
    }

    /// <summary>Reports on the training thread (<see cref="Progress{T}"/> would post to the thread pool, out of order).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
